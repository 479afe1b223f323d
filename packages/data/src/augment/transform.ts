import type * as tfc from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { Rng } from '@clusterflow/core';

/**
 * One step of an augmentation pipeline on an image batch [B, H, W, C] in [0, 1].
 * Per-sample parameters are drawn on the host from `rng` and uploaded as small
 * tensors; the pixels are only touched by batched backend ops. `apply` runs inside
 * the pipeline's tf.tidy and must not dispose `x`.
 */
export interface Transform {
  readonly id: string;
  apply(x: tfc.Tensor4D, rng: Rng): tfc.Tensor4D;
  /** [H, W, C] in, [H', W', C] out. */
  outputShape(shape: readonly number[]): number[];
}

/** Builds a transform from its options (validated by `options`, which carries an `id` literal). */
export interface TransformFactory<O extends { id: string } = any> {
  readonly id: O['id'];
  readonly description: string;
  readonly options: z.ZodType<O>;
  /** `sampleShape` is [H, W, C]; throws a ConfigError when the transform cannot apply to it. */
  create(options: O, sampleShape: readonly number[]): Transform;
}

export function sameShape(shape: readonly number[]): number[] {
  return [...shape];
}
