import type * as tfc from '@tensorflow/tfjs-core';
import { disposeCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointMeta } from '../checkpoint.js';
import type { RunConfig } from '../config/schema.js';
import { CheckpointError } from '../errors.js';
import type { Hook } from '../hook.js';
import type { ObjectiveState } from '../objective.js';
import type { Optimizer } from '../optim/optimizer.js';
import { prefixKeys, stripPrefix } from '../prefix.js';
import type { TensorMap } from '../tensors.js';
import type { RunParts } from '../run.js';

/** Where a run stands: what a checkpoint must hold to continue it exactly. */
export interface RunPosition {
  /** The stage in progress (0 for a one-stage run). */
  stage: number;
  /** Epochs of that stage completed. */
  epoch: number;
  /** Global steps completed. */
  step: number;
  /** Steps completed in epoch `epoch` (0 at an epoch boundary). */
  stepInEpoch: number;
  /** The epoch's sample order, while it is in progress. */
  order?: Int32Array;
  /** Sums of the loss parts over the epoch's steps so far, for its mean. */
  lossSums?: Record<string, number>;
}

/** What the loop hands to `saveRunState`. */
export interface RunStateSource {
  config: RunConfig;
  configHash: string;
  backend: string;
  run: RunParts;
  optimizer: Optimizer;
  /** Parameters in the order the optimizer's slots are named after. */
  params: tfc.Variable[];
  hooks: readonly Hook[];
}

/**
 * Writes the run's state (weights, optimizer slots, objective state, RNG, hook
 * states, position) atomically to `path`. `signal` aborts before the file is
 * renamed into place, so a cancelled write leaves nothing behind.
 */
export async function saveRunState(path: string, src: RunStateSource, pos: RunPosition, signal?: AbortSignal): Promise<string> {
  const { run, optimizer, params } = src;
  const state: ObjectiveState = {
    ...prefixKeys('backbone/', run.backbone.getState()),
    ...prefixKeys('objective/', run.objective.getState()),
    ...prefixKeys('optimizer/', optimizer.getState(params)),
  };
  if (pos.order) state['loop/order'] = pos.order;
  const hookStates: Record<string, unknown> = {};
  for (const h of src.hooks) if (h.getState) hookStates[h.id] = h.getState();
  // The resolved config travels with the weights, so `clusterflow eval` can rebuild the run.
  const meta: CheckpointMeta = {
    stage: pos.stage,
    epoch: pos.epoch,
    step: pos.step,
    stepInEpoch: pos.stepInEpoch,
    lossSums: pos.lossSums,
    rng: run.rng.getState(),
    configHash: src.configHash,
    backend: src.backend,
    createdAt: new Date().toISOString(),
    backbone: run.backbone.id,
    objective: run.objective.id,
    hooks: hookStates,
    config: src.config,
    // What predict and export need of the run's data, so that a checkpoint assigns
    // other data without the training data at hand (on another machine).
    sampleShape: [...run.dataset.sampleShape],
    numClusters: run.numClusters,
  };
  await writeCheckpoint(path, { meta, state }, { signal });
  return path;
}

/** Which stage a checkpoint stops in (0 for a one-stage run), to build that stage before restoring it. */
export async function checkpointStage(path: string): Promise<number> {
  const ckpt = await readCheckpoint(path);
  disposeCheckpoint(ckpt);
  return (ckpt.meta.stage as number | undefined) ?? 0;
}

/**
 * Restores a run from a checkpoint written by `saveRunState` for the same config
 * (hash); returns where to continue. A checkpoint of another config is refused
 * before anything is changed.
 */
export async function restoreRunState(path: string, src: RunStateSource): Promise<RunPosition> {
  const ckpt = await readCheckpoint(path);
  try {
    if (ckpt.meta.configHash !== src.configHash) {
      throw new CheckpointError(
        `checkpoint ${path} was written by a different configuration (hash ${ckpt.meta.configHash}, this run ${src.configHash}); only epochs, checkpointing, logging, evaluation and hooks may change on resume`,
      );
    }
    restoreModel(ckpt.state, src.run);
    src.optimizer.setState(src.params, stripPrefix('optimizer/', ckpt.state));
    src.run.rng.setState(ckpt.meta.rng);
    const hookStates = (ckpt.meta.hooks ?? {}) as Record<string, unknown>;
    for (const h of src.hooks) if (h.setState && h.id in hookStates) h.setState(hookStates[h.id]);
    const stepInEpoch = (ckpt.meta.stepInEpoch as number | undefined) ?? 0;
    const order = ckpt.state['loop/order'];
    const inEpoch = order instanceof Int32Array;
    if (stepInEpoch > 0 && !inEpoch) {
      throw new CheckpointError(`checkpoint ${path} stops inside epoch ${ckpt.meta.epoch + 1} but holds no sample order to continue it`);
    }
    return {
      stage: (ckpt.meta.stage as number | undefined) ?? 0,
      epoch: ckpt.meta.epoch,
      step: ckpt.meta.step,
      stepInEpoch,
      // An order with no step taken yet is an epoch that had started (its order drawn, its
      // start hooks called) when the run was interrupted: it goes on with that order. Drawn
      // again, the RNG (already past the first draw) gave another, and the run diverged.
      order: inEpoch ? Int32Array.from(order) : undefined,
      lossSums: ckpt.meta.lossSums as Record<string, number> | undefined,
    };
  } finally {
    disposeCheckpoint(ckpt);
  }
}

/** Backbone and objective state from a checkpoint's arrays (what evaluation needs). */
export function restoreModel(state: ObjectiveState, run: Pick<RunParts, 'backbone' | 'objective'>): void {
  run.backbone.setState(stripPrefix('backbone/', state) as TensorMap);
  run.objective.setState(stripPrefix('objective/', state));
}
