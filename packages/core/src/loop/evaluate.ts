import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '../backend/tfjs.js';
import type { Readouts } from '../objective.js';
import type { Registry } from '../registry.js';
import type { Evaluation, RunParts } from '../run.js';
import { throwIfAborted } from './abort.js';
import { countClusters } from './collapse.js';

/** What an evaluation computes: the config's `eval:` section. */
export interface EvalOptions {
  /** Metric ids (registered metrics). */
  metrics: readonly string[];
  /** Rows per forward pass when embedding the dataset. */
  batchSize: number;
  /** Which read-out the unprefixed metrics use (default: the objective's first). */
  readout?: string;
}

/**
 * Features of every un-augmented sample, the objective's read-outs, and metrics
 * when labels exist. `signal` stops it between batches and inside the read-outs
 * (k-means), with an AbortError.
 */
export async function evaluate(options: EvalOptions, run: RunParts, registry: Registry, signal?: AbortSignal): Promise<Evaluation> {
  const { dataset, objective, numClusters } = run;
  const features = await embed(run, options.batchSize, signal);
  let readouts: Readouts;
  try {
    readouts = await objective.predict(features, { signal });
  } finally {
    features.dispose();
  }
  throwIfAborted(signal);
  const names = Object.keys(readouts);
  const mainReadout = options.readout ?? names[0];
  if (!readouts[mainReadout]) {
    throw new Error(`eval.readout '${mainReadout}' is not a read-out of objective '${objective.id}'; it has: ${names.join(', ')}`);
  }
  const metrics: Record<string, number> = {};
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

/** Backbone features (inference mode) of the whole dataset, batch by batch, as one [N, f] tensor. */
export async function embed(
  run: Pick<RunParts, 'dataset' | 'augmentation' | 'backbone'>,
  batchSize: number,
  signal?: AbortSignal,
): Promise<tfc.Tensor2D> {
  const { dataset, augmentation, backbone } = run;
  const outShape = augmentation.outputShape(dataset.sampleShape);
  const resize = outShape.length === 3 && outShape.join() !== dataset.sampleShape.join();
  const buf = new Float32Array(dataset.size * backbone.featureDim);
  for (let start = 0; start < dataset.size; start += batchSize) {
    throwIfAborted(signal);
    const idx = new Int32Array(Math.min(batchSize, dataset.size - start)).map((_, i) => start + i);
    const f = tf.tidy(() => {
      let x = dataset.batch(idx);
      // Crops change the training size; evaluation sees the whole image at that size.
      if (resize) x = tf.image.resizeBilinear(x as tfc.Tensor4D, [outShape[0], outShape[1]]);
      return backbone.apply(x, false);
    });
    try {
      buf.set((await f.data()) as Float32Array, start * backbone.featureDim);
    } finally {
      f.dispose();
    }
  }
  return tf.tensor2d(buf, [dataset.size, backbone.featureDim]);
}
