import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';

/**
 * TF.js 4.22 has no tf.stopGradient. `fn` runs inside a tf.customGrad forward
 * function, where the engine does not record its ops on the gradient tape, and the
 * custom gradient is zero: the result is a constant for the backward pass
 * (PyTorch's `with torch.no_grad()`: SwAV targets, SeCu's detached similarities).
 */
export function noGrad<T extends tfc.Tensor>(fn: (x: tfc.Tensor) => T, x: tfc.Tensor): T {
  const op = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const input = args[0] as tfc.Tensor;
    return { value: fn(input), gradFunc: () => tf.zerosLike(input) };
  });
  return op(x) as T;
}

/** sg(x): the identity with a zero gradient. */
export function stopGradient<T extends tfc.Tensor>(x: T): T {
  return noGrad((t) => tf.clone(t) as T, x);
}
