import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';

/** Vectors whose norm is below this are divided by it instead, as PyTorch's F.normalize does. */
export const NORM_EPS = 1e-12;

/**
 * PyTorch's F.normalize: x / max(||x||, 1e-12) along `axis` (1: rows, as for
 * embeddings; 0: columns, as for SeCu's centers).
 *
 * Written as x · rsqrt(max(Σx², eps²)), the same value, so that an all-zero vector
 * (an empty cluster column of a collapsed head) gives zeros and a finite gradient:
 * the max routes the gradient away from the square root at 0.
 */
export function l2Normalize<T extends tfc.Tensor>(x: T, axis = 1): T {
  return tf.tidy(() => {
    const sumSq = tf.sum(tf.square(x), axis, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(sumSq, NORM_EPS * NORM_EPS))) as T;
  });
}
