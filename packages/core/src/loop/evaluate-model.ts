import type { Readouts } from '../objective.js';
import type { Registry } from '../registry.js';
import type { Evaluation, RunParts } from '../run.js';
import { throwIfAborted } from './abort.js';
import { countClusters } from './collapse.js';
import { embed } from './embed.js';
import { featurePurity } from './knn-purity.js';

/** What an evaluation computes: the config's `eval:` section. */
export interface EvalOptions {
  /** Metric ids (registered metrics). */
  metrics: readonly string[];
  /** Rows per forward pass when embedding the dataset. */
  batchSize: number;
  /** Which read-out the unprefixed metrics use (default: the objective's first). */
  readout?: string;
  /** Also the features' kNN purity with this k (when the dataset has labels). */
  knnPurity?: number;
}

/**
 * An evaluation of the run's current model: features of every un-augmented sample,
 * the objective's read-outs, and metrics when labels exist. `signal` stops it between
 * batches and inside the read-outs (k-means), with an AbortError. The `evaluate` hook
 * calls it on its schedule, `evaluateCheckpoint` on a checkpoint's model.
 */
export async function evaluateModel(options: EvalOptions, run: RunParts, registry: Registry, signal?: AbortSignal): Promise<Evaluation> {
  const { dataset, objective, numClusters } = run;
  const features = await embed(run, options.batchSize, signal);
  const metrics: Record<string, number> = {};
  let readouts: Readouts;
  try {
    readouts = await objective.predict(features, { signal });
    if (options.knnPurity && dataset.labels)
      metrics.featureKnnPurity = await featurePurity(features, dataset.labels, options.knnPurity, registry.services, signal);
  } finally {
    features.dispose();
  }
  throwIfAborted(signal);
  const names = Object.keys(readouts);
  const mainReadout = options.readout ?? names[0];
  if (!readouts[mainReadout]) {
    throw new Error(`eval.readout '${mainReadout}' is not a read-out of objective '${objective.id}'; it has: ${names.join(', ')}`);
  }
  const clusterSizes: Record<string, number[]> = {};
  const metricObjs = options.metrics.map((id) => registry.build('metric', { id }, {}));
  for (const name of [mainReadout, ...names.filter((n) => n !== mainReadout)]) {
    const ids = readouts[name];
    clusterSizes[name] = countClusters(ids, numClusters);
    if (!dataset.labels) continue;
    for (const m of metricObjs) {
      metrics[name === mainReadout ? m.id : `${name}/${m.id}`] = m.compute(dataset.labels, ids);
    }
  }
  return { metrics, clusterSizes, readouts, mainReadout };
}

/**
 * @deprecated Use `evaluateModel`: the same function. "evaluate" alone now names
 * only the hook that runs it every `eval.every` epochs.
 */
export const evaluate = evaluateModel;
