import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';

/** Rows whose norm is below this are divided by it instead, as PyTorch's F.normalize does. */
export const NORM_EPS = 1e-12;

/**
 * Divides each row by its L2 norm (PyTorch's `F.normalize(x, dim=1)`).
 *
 * Written as x · rsqrt(max(Σx², eps²)) rather than x / ‖x‖ so that an all-zero row
 * (an empty cluster column of a collapsed head) gives zeros and a finite gradient:
 * the max routes the gradient away from the square root at 0, whose derivative
 * is infinite.
 */
export function l2Normalize(x: tfc.Tensor2D): tfc.Tensor2D {
  return tf.tidy(() => {
    const sumSq = tf.sum(tf.square(x), 1, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(sumSq, NORM_EPS * NORM_EPS))) as tfc.Tensor2D;
  });
}
