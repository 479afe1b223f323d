import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';

export interface SinkhornOptions {
  /** Entropic regularisation: the targets come from exp(scores / epsilon) (SwAV: 0.05). */
  epsilon?: number;
  /** Sinkhorn-Knopp iterations (SwAV: 3). */
  iterations?: number;
}

/**
 * SwAV-style equal-mass soft assignments: scores [B, K] -> targets [B, K] whose rows
 * sum to 1 and whose columns carry (after the last iteration) equal total mass.
 *
 * SwAV computes Q = exp(scores / eps)^T, then alternately rescales the K prototype
 * rows to mass 1/K and the B sample columns to mass 1/B, and returns Q / colsum.
 * With eps = 0.05 a score spread of 100 already makes exp overflow in float32, so
 * the same iterations run here on log Q: a row/column rescaling is a subtraction of
 * its log-sum-exp, which is stable for any finite input (an all-equal row or
 * column is just a uniform one). The constant masses 1/K and 1/B cancel in the
 * final per-sample normalisation and in every rescaling that follows them, so
 * they are left out. No gradient should flow through the result; callers wrap
 * it (see `ops/stop-gradient.ts`).
 */
export function sinkhorn(scores: tfc.Tensor2D, opts: SinkhornOptions = {}): tfc.Tensor2D {
  const epsilon = opts.epsilon ?? 0.05;
  const iterations = opts.iterations ?? 3;
  if (scores.rank !== 2) throw new Error(`sinkhorn expects scores [B, K], got shape [${scores.shape}]`);
  if (!(epsilon > 0)) throw new Error(`sinkhorn epsilon must be > 0, got ${epsilon}`);
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new Error(`sinkhorn iterations must be a non-negative integer, got ${iterations}`);
  }
  return tf.tidy((): tfc.Tensor2D => {
    let logQ: tfc.Tensor2D = tf.div(scores, epsilon);
    for (let it = 0; it < iterations; it++) {
      // Each prototype (column here, row in SwAV's transposed Q) to equal mass.
      logQ = tf.sub(logQ, tf.logSumExp(logQ, 0, true));
      // Each sample to equal mass.
      logQ = tf.sub(logQ, tf.logSumExp(logQ, 1, true));
    }
    // Rows to probability vectors (a no-op up to a constant after an iteration).
    return tf.exp(tf.sub(logQ, tf.logSumExp(logQ, 1, true))) as tfc.Tensor2D;
  });
}
