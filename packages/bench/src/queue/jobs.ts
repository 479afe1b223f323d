/**
 * What travels through the queue: a job per run (its config, a few KB), the run's
 * progress while it trains, and its record and files when it ends.
 */
import type { RunConfig } from '@clusterflow/core';
import type { RunResult, WorkerInfo } from '../report/results.js';

/** One run of one bench, ready to train. */
export interface RunJobData {
  bench: { name: string; id: string };
  /** The run's folder name, `<name>-seed<k>`. */
  dir: string;
  /** The resolved run config; data and plugins it names by path are resolved against `baseDir`. */
  config: RunConfig;
  /** The bench config's folder on the machine that queued it (a worker's `--base-dir` replaces it). */
  baseDir: string;
}

/** One file of a run's folder, gzipped and base64-encoded to fit the job's JSON result. */
export interface PackedFile {
  name: string;
  gzip: string;
}

/** What a job returns: the run's record and its folder's files (checkpoints stay on the worker's side). */
export interface RunJobResult {
  result: RunResult;
  files: PackedFile[];
}

/** A run's progress as its worker reports it (the job's BullMQ progress). */
export interface RunProgress {
  worker: WorkerInfo['id'];
  backend?: string;
  /** The epoch in progress (0-based) and the epochs in all. */
  epoch: number;
  epochs: number;
  /** Steps done and steps in all. */
  step: number;
  steps?: number;
  loss?: number;
  imagesPerSec?: number;
  /** The latest evaluation's metrics. */
  metrics?: Record<string, number>;
  /** Set when this worker continued the run from another's checkpoint: the epoch it continued at. */
  resumedAt?: number;
}

/** A job id per bench and run: adding the same run twice is a no-op in BullMQ. */
export const runJobId = (benchId: string, dir: string) => `${benchId}--${dir}`;
