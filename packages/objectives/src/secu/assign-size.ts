import type { ConstraintTerms } from './assign.js';

/**
 * SeCu-Size (spec §3.2a): a lower bound γ·N/K on every cluster's size, enforced
 * by dual variables ρ ≥ 0: ŷ_i = argmin_k (obj_ik − ρ_k), every row with the
 * duals from before this batch.
 */
export function sizeTerms(duals: Float32Array): ConstraintTerms {
  return { values: duals.map((d) => -d), rows: 1 };
}

/**
 * Projected dual ascent after a batch of B labels, in place:
 * ρ_k ← ρ_k − η·n_k/B + η·γ/K, then ρ ← max(ρ, 0) when γ < 1 (the official code
 * clips only then). Rounded to float32 at each step, as the float32 buffer does.
 */
export function updateDuals(duals: Float32Array, labels: Int32Array, dualLr: number, lratio: number): void {
  const k = duals.length;
  const b = labels.length;
  if (b === 0) return;
  const n = new Int32Array(k);
  for (const y of labels) n[y] += 1;
  const step = dualLr / b;
  const lift = (dualLr * lratio) / k;
  for (let j = 0; j < k; j++) {
    let v = Math.fround(duals[j] - Math.fround(step * n[j]));
    v = Math.fround(v + lift);
    duals[j] = lratio < 1 && v < 0 ? 0 : v;
  }
}
