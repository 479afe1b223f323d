import type { Augmentation } from './augmentation.js';
import type { Backbone } from './backbone.js';
import type { Stage } from './config/stages.js';
import type { Dataset } from './dataset.js';
import type { Objective, Readouts } from './objective.js';
import type { Rng } from './rng.js';
import type { Services } from './services.js';

// The types a run is made of, shared by the seams (hook.ts, events.ts) and the
// loop that fills them in. They live here, not in loop/, so that reading a seam
// never leads into the loop's code.

/** The components of one run, built from a config and a registry; augmentation and objective are the current stage's. */
export interface RunParts {
  dataset: Dataset;
  augmentation: Augmentation;
  backbone: Backbone;
  objective: Objective;
  /** The stage these augmentation and objective belong to (a one-stage run's is 'main'). */
  stage: Stage;
  numClusters: number;
  /** Drives shuffling and augmentation; its state is checkpointed. */
  rng: Rng;
  /** Where the objectives of later stages draw their initialisation from, in stage order. */
  objectiveRng: Rng;
  /** The run's services: the registry's, plus the RNG, the config, the dataset and EMBED. */
  services: Services;
}

/** Read-outs and metrics of the current model on the run's data. */
export interface Evaluation {
  metrics: Record<string, number>;
  clusterSizes: Record<string, number[]>;
  readouts: Readouts;
  mainReadout: string;
}

/** How a run ended, as hooks see it in `onRunEnd`. */
export type RunEnd =
  | { kind: 'completed' }
  /** A hook asked to stop (early stopping); the model is final and gets evaluated. */
  | { kind: 'stopped'; reason: string; by: string }
  /** The caller asked to stop (Ctrl-C): the state is saved to resume, nothing more is computed. */
  | { kind: 'interrupted'; reason: string };
