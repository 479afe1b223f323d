/**
 * A collapse warning from cluster sizes: empty clusters, or one cluster holding far
 * more than its share. Returns undefined for a healthy assignment.
 */
export function collapseWarning(sizes: readonly number[], maxShareRatio = 3): string | undefined {
  const n = sizes.reduce((a, b) => a + b, 0);
  const k = sizes.length;
  if (n === 0 || k < 2) return undefined;
  const empty = sizes.filter((s) => s === 0).length;
  const largest = Math.max(...sizes);
  const share = largest / n;
  const problems: string[] = [];
  if (empty > 0) problems.push(`${empty} of ${k} clusters are empty`);
  if (share > maxShareRatio / k) {
    problems.push(
      `cluster ${sizes.indexOf(largest)} holds ${largest} of ${n} samples ` +
        `(${(share * 100).toFixed(1)}%, more than ${maxShareRatio}x the uniform ${(100 / k).toFixed(1)}%)`,
    );
  }
  return problems.length ? `possible cluster collapse: ${problems.join('; ')}` : undefined;
}

/**
 * How many of `ids` fall in each cluster: k counts, more when an id is k or above
 * (a read-out may use more ids than the run's clusters). Adds to `into` when
 * given, for a running count over an epoch's steps.
 */
export function countClusters(ids: ArrayLike<number>, k: number, into: number[] = new Array<number>(k).fill(0)): number[] {
  for (let i = 0; i < ids.length; i++) {
    const c = ids[i];
    while (into.length <= c) into.push(0);
    into[c] += 1;
  }
  return into;
}
