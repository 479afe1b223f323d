import type * as tfc from '@tensorflow/tfjs-core';
import { ShapeError, tf } from '@clusterflow/core';
import { l2Normalize } from '../ops/l2-normalize.js';
import { logSumExp } from '../ops/log-sum-exp.js';

/**
 * Added to the self-similarity logits so that they drop out of the log-sum-exp.
 * A finite number, not -Infinity: -Infinity would need a 0 · -Infinity somewhere
 * in the backward pass and turn the gradient into NaN; exp(-1e9 - max) is exactly 0
 * in float32, so the result is the same as leaving the diagonal out.
 */
const MASKED_LOGIT = -1e9;

/**
 * NT-Xent (SimCLR's normalised temperature-scaled cross entropy) for two views
 * za, zb [N, d] of the same N samples.
 *
 * The rows are L2-normalised HERE, so callers pass raw projections (normalising
 * twice changes nothing: normalisation is idempotent, and so is its chain rule).
 * With Z = [za; zb] (2N x d) and S = Z Zᵀ / τ, row i's positive is its other view
 * (i + N mod 2N), the self-similarity S[i,i] is masked out, and the loss is the
 * mean over all 2N rows of
 *     logsumexp_{j != i} S[i,j] - S[i,pos(i)].
 * Both views play the anchor, so ntXent(a, b) = ntXent(b, a). A batch of identical
 * embeddings gives exactly log(2N - 1).
 */
export function ntXent(za: tfc.Tensor2D, zb: tfc.Tensor2D, temperature: number): tfc.Scalar {
  if (za.rank !== 2 || zb.rank !== 2 || za.shape[0] !== zb.shape[0] || za.shape[1] !== zb.shape[1]) {
    throw new ShapeError(`ntXent needs two views of equal shape [N, d], got [${za.shape}] and [${zb.shape}]`);
  }
  if (!(temperature > 0)) throw new RangeError(`ntXent temperature must be > 0, got ${temperature}`);
  const n = za.shape[0];
  if (n < 1) throw new ShapeError('ntXent needs at least one sample per view');
  return tf.tidy(() => {
    const a = l2Normalize(za);
    const b = l2Normalize(zb);
    const z = tf.concat([a, b], 0);
    const logits = tf.div(tf.matMul(z, z, false, true), temperature) as tfc.Tensor2D;
    const diagonal = tf.cast(tf.eye(2 * n), 'bool');
    const masked = tf.where(diagonal, tf.fill([2 * n, 2 * n], MASKED_LOGIT), logits);
    const lse = logSumExp(masked, 1); // [2N], over j != i
    // S[i, i+N] = S[i+N, i] = <a_i, b_i> / τ: each positive logit serves two rows.
    const positive = tf.div(tf.sum(tf.mul(a, b), 1), temperature); // [N]
    return tf.sub(tf.mean(lse), tf.mean(positive)) as tfc.Scalar;
  });
}
