import type * as tfc from '@tensorflow/tfjs-core';
import { tf, type Rng } from '@clusterflow/core';

/**
 * PyTorch's default for Linear and Conv weights and biases: kaiming_uniform with
 * a = sqrt(5) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 */
export function uniformFanIn(shape: number[], fanIn: number, rng: Rng): tfc.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.tidy(() => tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', rng.tfSeed()), true));
}

/** kaiming_normal_(mode='fan_out', nonlinearity='relu'): N(0, 2 / fan_out). */
export function kaimingNormalFanOut(shape: number[], fanOut: number, rng: Rng): tfc.Variable {
  const std = Math.sqrt(2 / fanOut);
  return tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, std, 'float32', rng.tfSeed()), true));
}

export function constant(shape: number[], value: number, trainable: boolean): tfc.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value), trainable));
}
