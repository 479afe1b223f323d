/**
 * relu(x + bias) as one op, for a layer's bias and activation: bias [C] added
 * along x's last axis ([N, C] or [N, H, W, C]), then ReLU.
 *
 * Where the active backend has the fused kernel (wasm with @clusterflow/native:
 * native-bias-relu.ts) it is one pass forward, and one backward that gives both
 * gradients from the output alone (dx = dy where y > 0, dbias = the column sums
 * of dx). Elsewhere it is tf.relu(tf.add(x, bias)), which gives the same values:
 * the fused forward does the same float32 add, and only the bias gradient's
 * summation order differs.
 */
import { tf } from '../backend/tfjs.js';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';

/** Inputs { x, bias }; output y = max(x + bias, 0). */
export const BIAS_RELU = 'ClusterflowBiasRelu';
/** Inputs { dy, y }; outputs [dx, dbias]. */
export const BIAS_RELU_GRAD = 'ClusterflowBiasReluGrad';

/** relu(x + bias), bias broadcast along x's last axis. */
export function biasRelu<T extends Tensor>(x: T, bias: Tensor): T {
  const c = x.shape[x.rank - 1];
  const fused =
    x.dtype === 'float32' &&
    bias.dtype === 'float32' &&
    x.rank >= 1 &&
    x.size > 0 &&
    bias.shape.join() === `${c}` &&
    tf.getKernel(BIAS_RELU, tf.getBackend()) !== undefined;
  if (fused) return tf.engine().runKernel(BIAS_RELU, { x, bias }, {}) as T;
  return tf.tidy(() => tf.relu(tf.add(x, bias))) as T;
}

/** The fused kernel's gradient: one call of the grad kernel, from the output y alone. */
export const biasReluGradConfig: GradConfig = {
  kernelName: BIAS_RELU,
  inputsToSave: [],
  outputsToSave: [true],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [y] = saved;
    const [dx, dbias] = tf.engine().runKernel(BIAS_RELU_GRAD, { dy: dy as Tensor, y }, {}) as Tensor[];
    return { x: () => dx, bias: () => dbias };
  },
};
