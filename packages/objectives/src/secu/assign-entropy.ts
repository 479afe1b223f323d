import { argminRows, checkScores } from './argmin.js';

/**
 * SeCu-Entropy (spec §3.2b): minimise Σ_i −s̄_{i,y_i} + α·Σ_k q_k log q_k over the
 * global cluster sizes q = n/N, greedily per instance with the counts frozen for
 * the batch. The deltas are differences of p·log p at steps of 1/N (~2e-5 for
 * CIFAR), so they are computed here in float64 from exact integer counts.
 */

/** p·log p with 0·log 0 := 0 (and 0 for p < 0, which only a stale count can produce). */
export function plogp(p: number): number {
  return p > 0 ? p * Math.log(p) : 0;
}

/**
 * Epoch 0: c = counts accumulated so far this epoch, M = Σc. With M = 0 the plain
 * argmin; otherwise p = c/(M+1) and Δ_k = plogp(p_k + 1/(M+1)) − plogp(p_k), the
 * same row for every instance: ŷ_i = argmin_k (obj_ik + α·Δ_k).
 */
export function assignEntropyFirstEpoch(
  obj: Float32Array,
  rows: number,
  k: number,
  counts: Int32Array,
  alpha: number,
): Int32Array {
  checkScores(obj, rows, k, counts.length);
  const m = sum(counts);
  if (m === 0) return argminRows(rows, k, (i, j) => obj[i * k + j]);
  const delta = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const p = counts[j] / (m + 1);
    delta[j] = plogp(p + 1 / (m + 1)) - plogp(p);
  }
  return argminRows(rows, k, (i, j) => obj[i * k + j] + alpha * delta[j]);
}

/**
 * Epoch ≥ 1: c = the global counts (Σc = N after a full epoch 0; the official code
 * divides by Σc, and so does this), p = c/Σc, l_i the stored label. Moving i from
 * l_i to k changes Σ q log q by a_{l_i} + b_k with
 * a_l = plogp(p_l − 1/Σc) − plogp(p_l) and b_k = plogp(p_k + 1/Σc) − plogp(p_k);
 * staying costs 0. ŷ_i = argmin_k (obj_ik + α·Δ_ik).
 */
export function assignEntropy(
  obj: Float32Array,
  rows: number,
  k: number,
  counts: Int32Array,
  stored: Int32Array,
  alpha: number,
): Int32Array {
  checkScores(obj, rows, k, counts.length);
  if (stored.length !== rows) throw new Error(`assignEntropy got ${stored.length} stored labels for ${rows} rows`);
  const base = sum(counts);
  if (base <= 0) return argminRows(rows, k, (i, j) => obj[i * k + j]);
  const add = new Float64Array(k);
  const remove = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const p = counts[j] / base;
    add[j] = plogp(p + 1 / base) - plogp(p);
    remove[j] = plogp(p - 1 / base) - plogp(p);
  }
  return argminRows(rows, k, (i, j) => {
    const l = stored[i];
    return obj[i * k + j] + (j === l ? 0 : alpha * (remove[l] + add[j]));
  });
}

function sum(counts: Int32Array): number {
  let s = 0;
  for (const c of counts) s += c;
  return s;
}
