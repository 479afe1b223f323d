import type * as tf from '@tensorflow/tfjs-core';
import type { Factory } from './factory.js';
import type { Rng } from './rng.js';
import type { TensorMap } from './tensors.js';

/**
 * A feature extractor written functionally over tf.Variables. BatchNorm layers
 * update their running statistics when `training` is true and use them otherwise.
 */
export interface Backbone {
  readonly id: string;
  /** Size of the feature vector `apply` returns. */
  readonly featureDim: number;
  /** Shape of one input sample, e.g. [28, 28, 1] or [784]. */
  readonly inputShape: readonly number[];
  /** Trainable variables. */
  variables(): tf.Variable[];
  /** [B, ...inputShape] -> [B, featureDim]. */
  apply(x: tf.Tensor, training: boolean): tf.Tensor2D;
  /** All state, trainable and not (BatchNorm running statistics), by stable names. */
  getState(): TensorMap;
  setState(state: TensorMap): void;
  dispose(): void;
}

export interface BackboneContext {
  /** Shape of one input sample as the dataset (after augmentation) delivers it. */
  inputShape: readonly number[];
  rng: Rng;
}

export type BackboneFactory<O = any> = Factory<O, BackboneContext, Backbone>;
