import { train, type Registry, type RunConfig, type RunSummary, type TrainEvent } from '@clusterflow/core';
import type { RunResult } from './results.js';

export interface RunOutcome {
  result: RunResult;
  /** Read-outs and labels of a finished run; absent when it failed. */
  summary?: RunSummary;
}

/**
 * Trains one run to its end and records what happened. Never throws for the run's
 * own failures (bad data, a plugin that crashes, a non-finite loss): those become
 * a `failed` result with the error message, so a bench goes on with its other runs.
 */
export async function runOne(
  cfg: RunConfig,
  opts: { registry: Registry; baseDir: string; dir: string; onEvent?: (e: TrainEvent) => void },
): Promise<RunOutcome> {
  const result: RunResult = {
    name: cfg.name,
    seed: cfg.seed,
    status: 'ok',
    objectives: cfg.objective.map((o) => o.id),
    backbone: cfg.backbone.id,
    dataset: cfg.data.id,
    backend: cfg.backend,
    epochs: cfg.train.epochs,
    epochsDone: 0,
    wallSeconds: 0,
    imagesPerSec: 0,
    metrics: {},
    clusterSizes: {},
    perEpoch: [],
    stepLoss: [],
    warnings: [],
    dir: opts.dir,
    files: [],
    config: cfg,
  };
  const started = performance.now();
  let summary: RunSummary | undefined;
  const record = (e: TrainEvent) => {
    switch (e.type) {
      case 'run-start':
        result.backend = e.backend;
        break;
      case 'step':
        result.stepLoss.push({ step: e.step, epoch: e.epoch, total: e.loss.total });
        break;
      case 'epoch-end':
        result.perEpoch.push({ epoch: e.epoch, loss: e.loss, metrics: e.metrics, seconds: e.seconds, imagesPerSec: e.imagesPerSec });
        result.epochsDone = e.epoch + 1;
        break;
      case 'warning':
        result.warnings.push(`epoch ${e.epoch + 1}: ${e.message}`);
        break;
      case 'complete':
        summary = e.summary;
        Object.assign(result, {
          backend: e.summary.backend,
          wallSeconds: e.summary.wallSeconds,
          imagesPerSec: e.summary.imagesPerSec,
          metrics: e.summary.metrics,
          mainReadout: e.summary.mainReadout,
          clusterSizes: e.summary.clusterSizes,
        });
        break;
    }
    opts.onEvent?.(e);
  };
  try {
    await new Promise<void>((resolve, reject) =>
      train(cfg, { registry: opts.registry, baseDir: opts.baseDir }).subscribe({ next: record, error: reject, complete: resolve }),
    );
    if (!summary) throw new Error('training ended without a complete event');
  } catch (err) {
    result.status = 'failed';
    result.error = errorText(err);
    result.wallSeconds = (performance.now() - started) / 1000;
    return { result };
  }
  return { result, summary };
}

/** The error's message, with its cause when that says more (plugin errors wrap the original). */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const name = err.name && err.name !== 'Error' ? `${err.name}: ` : '';
  return `${name}${err.message}`;
}
