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
    switch (e.type) {
      case 'run-start':
        result.backend = e.backend;
        break;
      case 'step':
        result.stepLoss.push({ step: e.step, epoch: e.epoch, total: e.loss.total });
        break;
      case 'epoch-end':
        result.perEpoch.push({
          epoch: e.epoch,
          ...(e.stage && e.stage !== 'main' ? { stage: e.stage } : {}),
          loss: e.loss,
          metrics: e.metrics,
          seconds: e.seconds,
          imagesPerSec: e.imagesPerSec,
        });
        result.epochsDone = e.epoch + 1;
        if (Object.keys(e.metrics).length > 0) result.metrics = e.metrics;
        break;
      case 'warning':
        result.warnings.push(`epoch ${e.epoch + 1}: ${e.message}`);
        break;
      case 'checkpoint':
        lastCheckpoint = e.path;
        break;
      case 'stage-end':
        if (e.clusters) stageClusters[e.name] = e.clusters;
        break;
      case 'complete':
        if (e.summary.stages.length > 1) result.stages = e.summary.stages;
        Object.assign(result, {
          backend: e.summary.backend,
          epochsDone: e.summary.epochsDone,
          wallSeconds: e.summary.wallSeconds,
          imagesPerSec: e.summary.imagesPerSec,
          mainReadout: e.summary.mainReadout,
        });
        // An interrupted run keeps the metrics of its last evaluation, labelled as such by its status.
        if (e.summary.end.kind !== 'interrupted') Object.assign(result, { metrics: e.summary.metrics, clusterSizes: e.summary.clusterSizes });
        break;
    }
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
