import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Rng, TransformContext, TransformFactory } from '@clusterflow/core';

/** What a transform does to a batch [B, H, W, C]; it runs inside the pipeline's tf.tidy and must not dispose `x`. */
export type ApplyTransform = (x: tfc.Tensor4D, rng: Rng) => tfc.Tensor4D;

/** The options a definition's shape parses to. */
export type TransformOptionsOf<S extends z.ZodRawShape> = z.output<z.ZodObject<S>>;

/**
 * A transform as its author writes it: the factory's fields, with `options` as the
 * fields of a strict object (unknown keys are config typos) and `create` returning only `apply`.
 */
export interface TransformDefinition<S extends z.ZodRawShape, O = TransformOptionsOf<S>> {
  readonly id: string;
  readonly description: string;
  readonly options: S;
  /** [H, W, C] in, [H', W', C] out; leave it out for a transform that keeps the shape. */
  outputShape?(shape: readonly number[], options: O): number[];
  /** Checks the options against `ctx` (throwing a ConfigError) and returns the per-batch function. */
  create(options: O, ctx: TransformContext): ApplyTransform;
}

/**
 * Builds a TransformFactory from its definition. Every transform repeats the same
 * shell (a factory whose product carries the id again and a shape function); this
 * writes it once, so a transform file holds only its options and its pixels.
 */
export function defineTransform<S extends z.ZodRawShape>(def: TransformDefinition<S>): TransformFactory<TransformOptionsOf<S>> {
  const { id, description } = def;
  return {
    id,
    description,
    options: z.object(def.options).strict() as z.ZodType<TransformOptionsOf<S>>,
    create(o, ctx) {
      const apply = def.create(o, ctx);
      const outputShape = def.outputShape;
      return {
        id,
        outputShape: outputShape ? (s) => outputShape(s, o) : (s) => [...s],
        apply,
      };
    },
  };
}
