import type { WorkerInfo } from '../report/results.js';

/**
 * What `clusterflow worker` tells the processes that train its runs (BullMQ's
 * sandboxed processors, forked with this in their environment).
 */
export interface WorkerSettings {
  worker: WorkerInfo;
  /** Replaces every run's backend (`--backend`). */
  backend?: string;
  /** The shared folder (`--out`): run folders and checkpoints, so another worker can continue a lost run. */
  out?: string;
  /** Replaces the queued runs' base folder (`--base-dir`). */
  baseDir?: string;
  logEvery: number;
}

const ENV = 'CLUSTERFLOW_WORKER';

/** The environment of a training process: the worker's own, plus its settings. */
export function settingsEnv(settings: WorkerSettings): NodeJS.ProcessEnv {
  return { ...process.env, [ENV]: JSON.stringify(settings) };
}

export function readSettings(): WorkerSettings {
  const text = process.env[ENV];
  if (!text) throw new Error(`${ENV} is not set: this module is the processor of \`clusterflow worker\`, not a program of its own`);
  return JSON.parse(text) as WorkerSettings;
}
