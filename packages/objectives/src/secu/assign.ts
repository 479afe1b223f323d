import type * as tfc from '@tensorflow/tfjs-core';
import { ShapeError, tf } from '@clusterflow/core';

/**
 * What a constraint adds to the assignment scores of one head, from the state
 * before the batch: one row [K] shared by every instance (the duals, epoch 0's
 * entropy Δ) or one row per instance [B, K] (the entropy moves of epoch ≥ 1).
 * Computed on the host in float64 from exact counts and rounded once to float32.
 */
export interface ConstraintTerms {
  /** Row-major [rows, K]. */
  values: Float32Array;
  /** 1 (shared by every instance) or the batch size. */
  rows: number;
}

/**
 * ŷ = argmin_k (scores_ik + terms_ik) on the device, all instances in parallel
 * with the same pre-batch terms (spec §3.2); the first index wins a tie, as
 * torch.argmin does. `scores` is −½(S¹ + S²) [B, K]; returns int32 [B].
 */
export function assignLabels(scores: tfc.Tensor2D, terms?: ConstraintTerms): tfc.Tensor1D {
  const [b, k] = scores.shape;
  if (terms && ((terms.rows !== 1 && terms.rows !== b) || terms.values.length !== terms.rows * k)) {
    throw new ShapeError(`assignment got ${terms.values.length} constraint terms in ${terms.rows} rows for scores [${b}, ${k}]`);
  }
  return tf.tidy(() => {
    const biased = terms ? tf.add(scores, tf.tensor2d(terms.values, [terms.rows, k])) : scores;
    return tf.argMin(biased, 1) as tfc.Tensor1D;
  });
}
