import type { TrainEvent } from '@clusterflow/core';
import type { RunResult } from '../report/results.js';

/**
 * What one training event adds to a run's record: the loss of a step, an epoch's
 * metrics, a warning, the summary at the end. A run in progress (run-one.ts) and
 * a run's event log read back (earlier-record.ts) build their records through here,
 * so a resumed run's history reads the same as one trained in one go.
 */
export function recordEvent(result: RunResult, e: TrainEvent): void {
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
}
