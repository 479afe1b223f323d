/**
 * A collapse warning from cluster sizes: empty clusters, or one cluster holding far
 * more than its share. Returns undefined for a healthy assignment.
 */
export function collapseWarning(sizes: readonly number[], maxShareFactor = 3): string | undefined {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total === 0 || sizes.length < 2) return undefined;
  const empty = sizes.filter((s) => s === 0).length;
  const largest = Math.max(...sizes);
  const share = largest / total;
  const fair = 1 / sizes.length;
  const problems: string[] = [];
  if (empty > 0) problems.push(`${empty} of ${sizes.length} clusters are empty`);
  if (share > maxShareFactor * fair) {
    problems.push(`the largest cluster holds ${largest} of ${total} samples (${(100 * share).toFixed(1)}%, fair share ${(100 * fair).toFixed(1)}%)`);
  }
  return problems.length ? `possible collapse: ${problems.join('; ')}` : undefined;
}

export function countClusters(ids: ArrayLike<number>, k: number): number[] {
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < ids.length; i++) {
    const c = ids[i];
    if (c >= sizes.length) sizes.length = c + 1;
    sizes[c] = (sizes[c] ?? 0) + 1;
  }
  return Array.from(sizes, (s) => s ?? 0);
}
