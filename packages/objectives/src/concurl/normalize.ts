import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';

/** Vectors along `axis` to unit length, as PyTorch's F.normalize (divides by max(norm, 1e-12)). */
export function l2Normalize<T extends tfc.Tensor>(x: T, axis = -1): T {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', axis, true), 1e-12)) as T);
}
