import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';

/**
 * sg(x): the value of x with a zero gradient. tfjs-core 4.22 has no stopGradient
 * op, so it is a custom gradient that returns zeros; SeCu needs it in three places
 * (the detached features of the center loss, its masked logits, the soft targets).
 */
const identityWithoutGradient = tf.customGrad((...inputs: (tfc.Tensor | tfc.GradSaveFunc)[]) => ({
  value: tf.clone(inputs[0] as tfc.Tensor),
  gradFunc: (dy: tfc.Tensor) => tf.zerosLike(dy),
}));

export function stopGradient<T extends tfc.Tensor>(x: T): T {
  return identityWithoutGradient(x) as T;
}
