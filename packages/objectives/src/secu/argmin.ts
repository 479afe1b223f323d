/**
 * Row-wise argmin of score(i, k) over k in [0, K), the first index on ties (as
 * torch.argmin does on the CPU). Scores are computed on the fly in float64 so that
 * the small constraint terms are not rounded to float32 before they are compared.
 */
export function argminRows(rows: number, k: number, score: (i: number, j: number) => number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestValue = score(i, 0);
    for (let j = 1; j < k; j++) {
      const v = score(i, j);
      if (v < bestValue) {
        best = j;
        bestValue = v;
      }
    }
    out[i] = best;
  }
  return out;
}

/** counts[y] += 1 for every label (and counts[l] -= 1 for every `removed` label). */
export function addCounts(counts: Int32Array, labels: Int32Array, removed?: Int32Array): void {
  for (const y of labels) counts[y] += 1;
  if (removed) for (const l of removed) counts[l] -= 1;
}

/** Scores must be [rows, K] and the per-cluster state K long. */
export function checkScores(obj: Float32Array, rows: number, k: number, kState: number): void {
  if (obj.length !== rows * k || kState !== k) {
    throw new Error(`assignment got ${obj.length} scores for ${rows}×${k} and state of ${kState} clusters`);
  }
}
