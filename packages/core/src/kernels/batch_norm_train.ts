/**
 * BatchNorm in training mode as one op: batch mean and biased variance over
 * every axis but the last, y = (x - mean) / sqrt(variance + eps) * scale + offset,
 * the gradient flowing through the batch statistics (PyTorch's semantics).
 *
 * Where the active backend has the fused kernel (wasm with @clusterflow/native:
 * native-batch-norm.ts) it is one kernel forward and one backward; elsewhere it
 * is composed of tf ops (tf.moments and elementwise ops, ~10 kernels each way
 * with their gradients), which gives the same values.
 */
import { tf } from '../backend/tfjs.js';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

/** Inputs { x, scale, offset }, attrs { varianceEpsilon }; outputs [y, mean, variance]. */
export const BATCH_NORM_TRAIN = 'ClusterflowBatchNormTrain';
/** Inputs { dy, x, scale, mean, variance, dmean, dvariance }, attrs { varianceEpsilon }; outputs [dx, dscale, doffset]. */
export const BATCH_NORM_TRAIN_GRAD = 'ClusterflowBatchNormTrainGrad';

export interface BatchNormTrainResult {
  y: Tensor;
  /** Per-channel batch mean, shape [C]. */
  mean: Tensor;
  /** Per-channel biased batch variance, shape [C]. */
  variance: Tensor;
}

/**
 * BatchNorm over the last axis of x ([N, C] or [N, H, W, C]) with the batch's
 * own statistics; scale (γ) and offset (β) have shape [C]. The returned mean and
 * variance carry gradients too, should a loss use them.
 */
export function batchNormTrain(x: Tensor, scale: Tensor, offset: Tensor, eps: number): BatchNormTrainResult {
  const c = x.shape[x.rank - 1];
  const fused =
    x.dtype === 'float32' &&
    x.rank >= 2 &&
    x.size > 0 &&
    scale.shape.join() === `${c}` &&
    offset.shape.join() === `${c}` &&
    tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined;
  if (fused) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale, offset }, { varianceEpsilon: eps }) as Tensor[];
    return { y, mean, variance };
  }
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.add(tf.mul(tf.sub(x, mean), tf.mul(scale, tf.rsqrt(tf.add(variance, eps)))), offset);
    return { y, mean, variance };
  });
}

/** The fused kernel's gradient: one call of the grad kernel, whichever backend registered both. */
export const batchNormTrainGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    // The engine passes zeros for an output off the loss's path (usually mean and variance).
    const [dy, dmean, dvariance] = dys as Tensor[];
    const [x, scale, mean, variance] = saved;
    const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, scale, mean, variance, dmean, dvariance }, attrs) as Tensor[];
    return { x: () => dx, scale: () => dscale, offset: () => doffset };
  },
};
