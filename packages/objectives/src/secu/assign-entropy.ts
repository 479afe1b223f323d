import { ShapeError } from '@clusterflow/core';
import type { ConstraintTerms } from './assign.js';

/**
 * SeCu-Entropy (spec §3.2b): minimise Σ_i −s̄_{i,y_i} + α·Σ_k q_k log q_k over the
 * global cluster sizes q = n/N, greedily per instance with the counts frozen for
 * the batch. The deltas are differences of p·log p at steps of 1/N (~2e-5 for
 * CIFAR), so they are computed here in float64 from exact integer counts, and
 * only α·Δ, of the order of the scores, is rounded to float32.
 */

/** p·log p with 0·log 0 := 0 (and 0 for p < 0, which only a stale count can produce). */
export function plogp(p: number): number {
  return p > 0 ? p * Math.log(p) : 0;
}

/**
 * Epoch 0: c = counts accumulated so far this epoch, M = Σc. With M = 0 nothing
 * (the plain argmin); otherwise p = c/(M+1) and the row α·Δ_k with
 * Δ_k = plogp(p_k + 1/(M+1)) − plogp(p_k), the same for every instance.
 */
export function entropyTermsFirstEpoch(counts: Int32Array, alpha: number): ConstraintTerms | undefined {
  const m = sum(counts);
  if (m === 0) return undefined;
  const values = new Float32Array(counts.length);
  for (let j = 0; j < counts.length; j++) {
    const p = counts[j] / (m + 1);
    values[j] = alpha * (plogp(p + 1 / (m + 1)) - plogp(p));
  }
  return { values, rows: 1 };
}

/**
 * Epoch ≥ 1: c = the global counts (Σc = N after a full epoch 0; the official code
 * divides by Σc, and so does this), p = c/Σc, l_i the stored label. Moving i from
 * l_i to k changes Σ q log q by a_{l_i} + b_k with
 * a_l = plogp(p_l − 1/Σc) − plogp(p_l) and b_k = plogp(p_k + 1/Σc) − plogp(p_k).
 * Staying costs nothing: the own-label entry is exactly 0, so the stored cluster
 * is scored by obj alone (the official scatter_). Rows [B, K].
 */
export function entropyTerms(counts: Int32Array, stored: Int32Array, alpha: number): ConstraintTerms | undefined {
  const k = counts.length;
  const base = sum(counts);
  if (base <= 0) return undefined;
  const add = new Float64Array(k);
  const remove = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const p = counts[j] / base;
    add[j] = plogp(p + 1 / base) - plogp(p);
    remove[j] = plogp(p - 1 / base) - plogp(p);
  }
  const values = new Float32Array(stored.length * k);
  stored.forEach((l, i) => {
    if (!(l >= 0 && l < k)) throw new ShapeError(`entropy terms: stored label ${l} outside [0, ${k})`);
    for (let j = 0; j < k; j++) values[i * k + j] = j === l ? 0 : alpha * (remove[l] + add[j]);
  });
  return { values, rows: stored.length };
}

function sum(counts: Int32Array): number {
  let s = 0;
  for (const c of counts) s += c;
  return s;
}
