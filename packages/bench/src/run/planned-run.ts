import type { RunConfig } from '@clusterflow/core';
import type { Candidates } from './candidates-config.js';

/** One run of a bench at one seed, resolved and ready to train (bench.ts plans them, train-run.ts trains one). */
export interface PlannedRun {
  config: RunConfig;
  /** Folder name under the bench's output: `<name>-seed<k>`. */
  dir: string;
  baseDir: string;
  /** Train these candidate seeds first and go on with the lowest loss (bench.ts: trainCandidates). */
  candidates?: Candidates;
}
