import type { Hook, HookContext } from '@clusterflow/core';
import { orderedConfusion, sampleGridImage } from '@clusterflow/report';
import type { EvaluationView } from './page-state.js';

/**
 * After each evaluation (the evaluate hook's, which runs first), the pictures the
 * live view draws from a run's files: the first samples of each cluster and the
 * confusion matrix of the main read-out.
 */
export function evaluationView(show: (view: EvaluationView) => void): Hook {
  let shown = -1;
  const capture = async (ctx: HookContext) => {
    const e = ctx.evaluation;
    // Only a fresh evaluation, once (a completed run's last one is seen at its last epoch end and at run end).
    if (!e || e.step !== ctx.step || e.step === shown) return;
    shown = e.step;
    const clusters = e.readouts[e.mainReadout];
    const k = e.clusterSizes[e.mainReadout]?.length ?? ctx.run.numClusters;
    const labels = ctx.run.dataset.labels;
    show({
      epoch: e.epoch,
      step: e.step,
      metrics: e.metrics,
      mainReadout: e.mainReadout,
      grid: await sampleGridImage(ctx.run.dataset, clusters, k),
      confusion: labels ? orderedConfusion(labels, clusters) : undefined,
    });
  };
  return { id: 'page-evaluation-view', priority: 60, onEpochEnd: capture, onRunEnd: capture };
}
