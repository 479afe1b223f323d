/** SHA-256 through Web Crypto, which Node (19+) and browsers both have. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  // Typed arrays over a SharedArrayBuffer are refused by Web Crypto; ours never are.
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** The digest as lowercase hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await sha256(new TextEncoder().encode(text));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
