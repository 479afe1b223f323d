import type * as tf from '@tensorflow/tfjs-core';
import type { Factory } from './factory.js';
import type { Rng } from './rng.js';

/** Host arrays are state too: per-instance labels, counts, dual variables. */
export type StateValue = tf.Tensor | Int32Array | Float32Array;
/** An objective's state by stable names, for checkpoints. */
export type ObjectiveState = Record<string, StateValue>;

/** What an objective is built from. */
export interface ObjectiveContext {
  /** Size of the backbone's feature vector. */
  featureDim: number;
  /** Number of training samples (memory banks and label memories are this long). */
  numSamples: number;
  /** Number of clusters asked for by the run (an objective may have several heads). */
  numClusters: number;
  /** Number of augmented views per sample the loop delivers. */
  numViews: number;
  rng: Rng;
}

/** One training batch as an objective sees it: backbone features, not images. */
export interface ObjectiveBatch {
  /** Dataset indices of the batch rows (stable instance ids), on the host. */
  indices: Int32Array;
  /** Backbone features of each view, each [B, featureDim]. */
  views: tf.Tensor2D[];
  epoch: number;
  /** Global step, counted from 0 over the whole run. */
  step: number;
}

export interface LossOutput {
  /** The scalar that is differentiated. */
  total: tf.Scalar;
  /** Named parts, reported in step events ("instance", "cluster", "entropy"). */
  parts: Record<string, tf.Scalar>;
}

/**
 * A group of variables with its own optimizer settings. `lr` replaces the run's
 * scheduled learning rate with a constant (SeCu's centers); `followsBackbone`
 * makes the group part of the encoder, scaled by `backboneLrScale` like the
 * backbone (SeCu's projection head is frozen with it in epoch 0);
 * `weightDecay` overrides the optimizer's.
 */
export interface ParamGroup {
  name: string;
  variables: tf.Variable[];
  lr?: number;
  followsBackbone?: boolean;
  weightDecay?: number;
}

/** Read-outs of cluster ids; the first entry is the objective's main one. */
export type Readouts = Record<string, Int32Array>;

/**
 * A clustering objective. It owns its trainable state (heads, prototypes, centers)
 * and its non-gradient state (memory banks, label memories), built from the context.
 * The loop calls `loss` inside the gradient computation, so it must be synchronous;
 * it may update host-side state from values it reads there (assignments).
 */
export interface Objective {
  readonly id: string;
  /** Trainable variables, optimized together with the backbone. */
  variables(): tf.Variable[];
  /** Optional split of `variables()` into groups with their own settings; the rest use the defaults. */
  paramGroups?(): ParamGroup[];
  /** Multiplier of the backbone's learning rate in an epoch (SeCu freezes the encoder in epoch 0). */
  backboneLrScale?(epoch: number): number;
  onEpochStart?(epoch: number): void | Promise<void>;
  loss(batch: ObjectiveBatch): LossOutput;
  /** Non-gradient updates after the optimizer step; `batch.views` are the step's features, detached. */
  afterStep?(batch: ObjectiveBatch): void;
  /** Cluster ids for features [N, featureDim] of un-augmented samples. */
  predict(features: tf.Tensor2D): Promise<Readouts>;
  /** Cluster sizes per head for diagnostics (name -> sizes), when the objective tracks them. */
  clusterSizes?(): Record<string, number[]>;
  getState(): ObjectiveState;
  setState(state: ObjectiveState): void;
  dispose(): void;
}

export type ObjectiveFactory<O = any> = Factory<O, ObjectiveContext, Objective>;
