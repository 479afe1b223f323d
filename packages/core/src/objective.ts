import type * as tf from '@tensorflow/tfjs-core';
import type { Factory } from './factory.js';
import type { Rng } from './rng.js';
import type { Services } from './services.js';
import type { TensorMap } from './tensors.js';

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
  /** This objective's own generator, forked from the run's in a fixed order. */
  rng: Rng;
  /**
   * k-means, k-NN, the logger, the run's RNG, the features of every sample
   * (EMBED) and the dataset... by token (see services.ts); a plugin needs no
   * other package.
   */
  services: Services;
  /**
   * The weights of a cluster head trained by an earlier stage of the run (its
   * `clusterHead()`), when this stage asks to start from it: a self-labelling
   * stage starts from SCAN's best head.
   */
  initialHead?: TensorMap;
}

/** Which step this is, before any tensor of it exists. */
export interface StepInfo {
  /** Dataset indices of the batch rows (stable instance ids), on the host. */
  indices: Int32Array;
  epoch: number;
  /** Global step, counted from 0 over the whole run. */
  step: number;
}

/**
 * What `prepare` decides for one step, handed back by the loop to that step's
 * `loss` and `commit`: the one way host work reaches the loss, so an objective
 * keeps nothing of a step in its own fields. The loop reads `companions`; an
 * objective extends the plan with its own (ConCURL: the negatives it drew and
 * its sampler after the draw, which `commit` adopts).
 */
export interface StepPlan {
  /**
   * One more sample per batch row (dataset indices, [B]): the loop augments them
   * like the batch and hands their features to `loss` as `companions` (SCAN: a
   * random one of each sample's nearest neighbours).
   */
  companions?: Int32Array;
}

/** One training batch as an objective sees it: backbone features, not images. */
export interface ObjectiveBatch extends StepInfo {
  /** Backbone features of each view, each [B, featureDim]. */
  views: tf.Tensor2D[];
  /** Features of each view of the companions `prepare` asked for, row i beside batch row i. */
  companions?: tf.Tensor2D[];
}

/** Tensors an objective hands from `loss` to `commit`, by name. */
export type Pending = Record<string, tf.Tensor>;

export interface LossOutput {
  /** The scalar that is differentiated. */
  total: tf.Scalar;
  /** Named parts, reported in step events ("instance", "cluster", "entropy"). */
  parts: Record<string, tf.Scalar>;
  /**
   * Values that non-gradient state is updated from once the step is known to be
   * finite: assignments, the step's embeddings for a memory bank. Computed in the
   * same forward pass; the loop keeps them out of the gradient's tidy, hands them
   * to `commit` and disposes them afterwards (also when the step fails).
   */
  pending?: Pending;
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

/** A module applied in training or inference mode: an objective's head on features, or a whole model (backbones' `Module` is one). */
export interface FeatureModule {
  apply(x: tf.Tensor, training: boolean): tf.Tensor;
}

/** Read-outs of cluster ids; the first entry is the objective's main one. */
export type Readouts = Record<string, Int32Array>;

/**
 * A clustering objective. It owns its trainable state (heads, prototypes, centers)
 * and its non-gradient state (memory banks, label memories), built from the context.
 *
 * One training step calls, in order:
 * 1. `prepare` (optional, async): host work the loss needs, before the gradient is
 *    recorded; it may read the device with `await data()` but must not change the
 *    objective's state (draw from a copy of a generator, not from it). What it
 *    decides is returned as the step's plan `P`.
 * 2. `loss` with the plan: a pure tensor computation inside the gradient's tidy. No
 *    host reads (`dataSync`), no assignments: what the step should change goes to
 *    `pending`.
 * 3. the loop checks every loss part; a NaN or infinite one ends the run here, with
 *    the objective's state exactly as it was before the step.
 * 4. the optimizer step, then `commit` (optional, async) with `pending` and the
 *    plan: memories, duals, banks and counters are written here, reading with
 *    `await data()`.
 * The plan is undefined for an objective without `prepare`.
 */
export interface Objective<P extends StepPlan = StepPlan> {
  readonly id: string;
  /** Trainable variables, optimized together with the backbone. */
  variables(): tf.Variable[];
  /** Optional split of `variables()` into groups with their own settings; the rest use the defaults. */
  paramGroups?(): ParamGroup[];
  /** Multiplier of the backbone's learning rate in an epoch (SeCu freezes the encoder in epoch 0). */
  backboneLrScale?(epoch: number): number;
  onEpochStart?(epoch: number): void | Promise<void>;
  prepare?(step: StepInfo): Promise<P | void>;
  loss(batch: ObjectiveBatch, plan?: P): LossOutput;
  commit?(step: StepInfo, pending: Pending, plan?: P): void | Promise<void>;
  /** Cluster ids for features [N, featureDim] of un-augmented samples; stop early when `signal` aborts. */
  predict(features: tf.Tensor2D, options?: { signal?: AbortSignal }): Promise<Readouts>;
  /**
   * The modules its read-out applies to the backbone's features that hold BatchNorm
   * (SeCu's and ConCURL's projectors). The precise-bn hook runs each on the
   * backbone's output in training mode, so their running statistics are
   * recomputed with the backbone's. Absent: its read-out has no BatchNorm.
   */
  readoutModules?(): FeatureModule[];
  /** Cluster sizes per head for diagnostics (name -> sizes), when the objective tracks them. */
  clusterSizes?(): Record<string, number[]>;
  /** Numbers it reports at the end of each epoch beside the metrics (SCAN: its neighbours' label agreement). */
  diagnostics?(): Record<string, number>;
  /** The cluster head a later stage may start from (its weights by the names that stage expects). */
  clusterHead?(): TensorMap | undefined;
  getState(): ObjectiveState;
  setState(state: ObjectiveState): void;
  dispose(): void;
}

export type ObjectiveFactory<O = any> = Factory<O, ObjectiveContext, Objective> & {
  /**
   * True when the objectives it creates implement `clusterHead()`. A stage with
   * `head: previous` is refused before anything trains unless one objective of the
   * stage before it says so (otherwise the mistake shows only after that stage).
   */
  readonly providesClusterHead?: boolean;
};
