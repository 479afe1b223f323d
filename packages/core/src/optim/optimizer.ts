import type * as tfc from '@tensorflow/tfjs-core';
import type { Factory } from '../factory.js';
import type { ObjectiveState } from '../objective.js';
import type { TensorMap } from '../tensors.js';

/** A set of variables updated with one learning rate and weight decay in a step. */
export interface GroupStep {
  variables: tfc.Variable[];
  grads: tfc.Tensor[];
  lr: number;
  weightDecay: number;
}

/**
 * An optimizer with PyTorch's update rules, so that hyper-parameters taken from
 * a reference recipe mean the same thing here. Slots (momentum buffers, Adam
 * moments) are keyed by variable and exported in `params` order for checkpoints.
 */
export interface Optimizer {
  readonly id: string;
  /** The base learning rate the schedule scales, and the weight decay of groups that set none. */
  readonly lr: number;
  readonly weightDecay: number;
  step(groups: GroupStep[]): void;
  /** Slots of each parameter, named `${index}/${slot}` after the order of `params`; host arrays for counters. */
  getState(params: readonly tfc.Variable[]): ObjectiveState;
  setState(params: readonly tfc.Variable[], state: ObjectiveState): void;
  dispose(): void;
}

export type OptimizerFactory<O = any> = Factory<O, Record<string, never>, Optimizer>;

export type { TensorMap };
