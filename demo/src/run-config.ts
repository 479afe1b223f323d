import type { RunConfigInput } from '@clusterflow/core';
import { BACKBONES, OBJECTIVES, type Choice } from './choices.js';

/** What the page's form says. */
export interface PageSettings {
  /** A registered dataset id: 'fashion-mnist', or 'image-files' once the user gave images. */
  data: string;
  /** Fashion-MNIST: only its first `limit` images (empty: all). */
  limit?: number;
  /** Values of the ticked objectives (OBJECTIVES). */
  objectives: string[];
  backbone: string;
  backend: string;
  /** Empty: the dataset's number of classes. */
  numClusters?: number;
  epochs: number;
  batchSize: number;
  /** 0: the whole dataset each epoch. */
  stepsPerEpoch: number;
  lr: number;
  seed: number;
}

/**
 * Where the page's checkpoints go: a folder relative to the page, so their keys in
 * IndexedDB are addresses under it (`http://host/checkpoints/last.ckpt`).
 */
export const CHECKPOINT_DIR = 'checkpoints';

/** The run config a Node user would write for the same run, plus the page's checkpoint folder. */
export function runConfig(s: PageSettings): RunConfigInput {
  const objectives = s.objectives.map((v) => pick(OBJECTIVES, v, 'objective'));
  if (objectives.length === 0) throw new Error('tick at least one objective');
  return {
    name: s.objectives.join('+'),
    seed: s.seed,
    backend: s.backend,
    data: s.data === 'fashion-mnist' && s.limit ? { id: s.data, options: { limit: s.limit } } : { id: s.data },
    backbone: pick(BACKBONES, s.backbone, 'backbone').ref,
    objective: objectives.map((c) => ({ ...c.ref, name: c.value, weight: 1 })),
    ...(s.numClusters ? { numClusters: s.numClusters } : {}),
    optimizer: { id: 'adam', options: { lr: s.lr } },
    train: { epochs: s.epochs, batchSize: s.batchSize, maxStepsPerEpoch: s.stepsPerEpoch, logEvery: 1, checkpointDir: CHECKPOINT_DIR },
    eval: { every: 1 },
  };
}

function pick(choices: readonly Choice[], value: string, what: string): Choice {
  const c = choices.find((x) => x.value === value);
  if (!c) throw new Error(`unknown ${what} '${value}'; the page offers ${choices.map((x) => x.value).join(', ')}`);
  return c;
}
