import type * as tf from '@tensorflow/tfjs-core';
import type { ComponentLookup, ComponentRef, Factory } from './factory.js';
import type { Rng } from './rng.js';
import type { Transform, TransformContext } from './transform.js';

/**
 * Turns a batch into the views an objective trains on (two views for contrastive
 * methods, more for multi-crop), as batched tensor operations on the backend.
 * Every random choice comes from `rng`, so a seeded run is reproducible.
 */
export interface Augmentation {
  readonly id: string;
  readonly numViews: number;
  /** Shape of one output sample (a crop may change the size). */
  outputShape(sampleShape: readonly number[]): number[];
  /** [B, ...sampleShape] -> numViews tensors [B, ...outputShape]. Does not dispose `x`. */
  views(x: tf.Tensor, rng: Rng): tf.Tensor[];
}

export interface AugmentationContext {
  sampleShape: readonly number[];
  /** Where the transforms a pipeline names are looked up and built (the run's registry). */
  registry: TransformLookup;
}

/** What an augmentation may ask of the registry: the transforms its pipelines name. */
export interface TransformLookup extends ComponentLookup {
  build(kind: 'transform', ref: ComponentRef, ctx: TransformContext): Transform;
}

export type AugmentationFactory<O = any> = Factory<O, AugmentationContext, Augmentation>;
