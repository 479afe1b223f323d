/** `m` with `prefix` put before every key (state of a part inside a larger state). */
export function prefixKeys<T>(prefix: string, m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [prefix + k, v]));
}

/** The entries of `m` under `prefix`, with the prefix taken off. */
export function stripPrefix<T>(prefix: string, m: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(m)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}
