import {
  describeObjectives,
  runTraining,
  stagesOf,
  type HookSpec,
  type Logger,
  type Registry,
  type RunConfig,
  type RunSummary,
  type TrainEvent,
} from '@clusterflow/core';
import type { RunResult } from '../report/results.js';
import { recordEvent } from './record-event.js';

export interface RunOutcome {
  /** A multi-stage run's assignments at the end of each stage (main read-out), by stage name. */
  stageClusters?: Record<string, Int32Array>;
  result: RunResult;
  /** Read-outs and labels of a finished run; absent when it failed. */
  summary?: RunSummary;
}

export interface RunOneOptions {
  registry: Registry;
  baseDir: string;
  /** The run's folder, relative to the bench's. */
  dir: string;
  hooks?: HookSpec[];
  logger?: Logger;
  /** Ctrl-C: ends the run at the next step boundary with a checkpoint to resume from. */
  stop?: AbortSignal;
  /** Cancels the run within a step, writing nothing more (a queue worker that lost the run). */
  signal?: AbortSignal;
  /** Every event, after it is recorded into `result` (the record so far). */
  onEvent?: (e: TrainEvent, result: RunResult) => void;
}

/** What a run records before it has done anything: also the record of a run that never started. */
export function emptyResult(cfg: RunConfig, dir: string): RunResult {
  const stages = stagesOf(cfg);
  return {
    name: cfg.name,
    seed: cfg.seed,
    status: 'ok',
    objectives: stages.map((s) => describeObjectives({ objective: s.objective })),
    backbone: cfg.backbone.id,
    dataset: cfg.data.id,
    backend: typeof cfg.backend === 'string' ? cfg.backend : cfg.backend.id,
    // Over all stages, as epochsDone counts them (it once said 115/20 for 100 + 10 + 5).
    epochs: stages.reduce((n, s) => n + s.train.epochs, 0),
    epochsDone: 0,
    wallSeconds: 0,
    imagesPerSec: 0,
    metrics: {},
    clusterSizes: {},
    perEpoch: [],
    stepLoss: [],
    warnings: [],
    dir,
    files: [],
    config: cfg,
  };
}

/**
 * Trains one run to its end and records what happened. Never throws for the run's
 * own failures (bad data, a plugin that crashes, a non-finite loss): those become
 * a `failed` result with the error message, so a bench goes on with its other runs.
 * A run stopped by `stop` is `interrupted`, with what it had done so far.
 */
export async function runOne(cfg: RunConfig, opts: RunOneOptions): Promise<RunOutcome> {
  const result = emptyResult(cfg, opts.dir);
  const started = performance.now();
  let lastCheckpoint: string | undefined;
  const stageClusters: Record<string, Int32Array> = {};
  const record = (e: TrainEvent) => {
    recordEvent(result, e);
    if (e.type === 'checkpoint') lastCheckpoint = e.path;
    if (e.type === 'stage-end' && e.clusters) stageClusters[e.name] = e.clusters;
    opts.onEvent?.(e, result);
  };
  let summary: RunSummary | undefined;
  try {
    summary = await runTraining(cfg, {
      registry: opts.registry,
      baseDir: opts.baseDir,
      hooks: opts.hooks,
      logger: opts.logger,
      stop: opts.stop,
      signal: opts.signal,
      onEvent: record,
    });
    if (!summary) throw new Error(opts.signal?.aborted ? `cancelled: ${String(opts.signal.reason ?? 'aborted')}` : 'training ended without a summary');
  } catch (err) {
    result.status = 'failed';
    result.error = errorText(err);
    result.wallSeconds = (performance.now() - started) / 1000;
    return { result };
  }
  if (summary.end.kind === 'interrupted') {
    result.status = 'interrupted';
    result.resumeFrom = lastCheckpoint;
    return { result };
  }
  return { result, summary, stageClusters };
}

/** The error's message, with its cause when that says more (plugin errors wrap the original). */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const name = err.name && err.name !== 'Error' ? `${err.name}: ` : '';
  return `${name}${err.message}`;
}
