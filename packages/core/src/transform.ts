import type * as tf from '@tensorflow/tfjs-core';
import type { Factory } from './factory.js';
import type { Rng } from './rng.js';

/**
 * One step of an augmentation pipeline on an image batch [B, H, W, C] in [0, 1].
 * Per-sample parameters are drawn on the host from `rng` and uploaded as small
 * tensors; the pixels are only touched by batched backend ops. `apply` runs inside
 * the pipeline's tf.tidy and must not dispose `x`.
 */
export interface Transform {
  readonly id: string;
  apply(x: tf.Tensor4D, rng: Rng): tf.Tensor4D;
  /** [H, W, C] in, [H', W', C] out. */
  outputShape(shape: readonly number[]): number[];
}

export interface TransformContext {
  /** [H, W, C] of the images the transform will see; `create` throws a ConfigError when it cannot apply. */
  sampleShape: readonly number[];
}

export type TransformFactory<O = any> = Factory<O, TransformContext, Transform>;
