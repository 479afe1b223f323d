import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';

/**
 * PyTorch's F.normalize: x / max(||x||, 1e-12) along `axis`. SeCu normalises the
 * projected features per row (axis 1) and the centers per column (axis 0).
 */
export function l2Normalize<T extends tfc.Tensor>(x: T, axis: number): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), axis, true));
    return tf.div(x, tf.maximum(norm, 1e-12)) as T;
  });
}
