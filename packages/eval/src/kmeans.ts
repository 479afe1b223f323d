import { Rng, tf, throwIfAborted } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import { assignNearest, lloydStep, type PreparedRows } from './distance.js';
import { centredInput, finish, kmeansCommonOptions, readScalar, type KMeansResult } from './kmeans-common.js';
import { kmeansPlusPlus } from './kmeans-plusplus.js';
import { parseOptions } from './options.js';

export type { KMeansResult };

/**
 * Options with scikit-learn's defaults. nInit = 10 is scikit-learn's long-standing
 * default (1.4+ uses 1 for k-means++ under 'auto'); an evaluation protocol wants
 * the stabler result and restarts are cheap next to training.
 */
export const kmeansOptionsSchema = kmeansCommonOptions({ nInit: 10, maxIter: 300, tol: 1e-4 }).strict();

export type KMeansOptions = z.input<typeof kmeansOptionsSchema>;

/**
 * Lloyd's k-means on whichever TF.js backend is active, following scikit-learn's
 * KMeans: data centred first (for float precision), greedy k-means++ seeding,
 * nInit restarts keeping the lowest inertia, stop on unchanged labels or a centre
 * shift under the relative tol, and a final assignment to the final centres.
 * Empty clusters take the rows farthest from their centres, as scikit-learn does.
 * One small host read per iteration (counts, shift, changed flag). Does not
 * dispose `x`. An aborted `signal` rejects with AbortError and leaves no tensors.
 */
export async function kmeans(x: tfc.Tensor2D, opts: KMeansOptions): Promise<KMeansResult> {
  const o = parseOptions('kmeans', kmeansOptionsSchema, opts);
  const input = await centredInput('kmeans', x, o.k, o.signal);
  let best: Run | undefined;
  try {
    const tol = o.tol * (await input.meanVariance());
    const rng = new Rng(o.seed);
    for (let run = 0; run < o.nInit; run++) {
      throwIfAborted(o.signal);
      const init = kmeansPlusPlus(input.rows, o.k, rng);
      const result = await lloyd(input.rows, init, o.maxIter, tol, o.signal);
      if (!best || result.inertia < best.inertia) {
        best?.centroids.dispose();
        best = result;
      } else result.centroids.dispose();
    }
    const { centroids, iterations } = best!;
    best = undefined; // finish() takes the centroids over
    return await finish(input, centroids, iterations);
  } finally {
    best?.centroids.dispose();
    input.dispose();
  }
}

interface Run {
  centroids: tfc.Tensor2D;
  inertia: number;
  iterations: number;
}

/** Lloyd iterations from `init` (which it takes ownership of, also when aborted). */
async function lloyd(rows: PreparedRows, init: tfc.Tensor2D, maxIter: number, tol: number, signal?: AbortSignal): Promise<Run> {
  const k = init.shape[0];
  let centroids = init;
  let prevLabels: tfc.Tensor1D | undefined;
  let iterations = 0;
  for (let it = 0; it < maxIter; it++) {
    if (signal?.aborted) {
      tf.dispose([centroids, ...(prevLabels ? [prevLabels] : [])]);
      throwIfAborted(signal);
    }
    iterations = it + 1;
    const step = lloydStep(rows, centroids);
    const { next, stats } = tf.tidy(() => {
      const safe = tf.maximum(step.counts, 1).reshape([k, 1]);
      // An empty cluster keeps its old centre for now; it is relocated below.
      const empty = step.counts.equal(0).reshape([k, 1]);
      const next = tf.where(empty, centroids, step.sums.div(safe)) as tfc.Tensor2D;
      const shift = next.sub(centroids).square().sum().reshape([1]);
      const changed = prevLabels ? step.labels.notEqual(prevLabels).any().cast('float32').reshape([1]) : tf.ones([1]);
      return { next, stats: tf.concat([step.counts, shift, changed]) };
    });
    const s = await stats.data();
    stats.dispose();
    const emptyIds = [];
    for (let j = 0; j < k; j++) if (s[j] === 0) emptyIds.push(j);
    let nextCentroids = next;
    if (emptyIds.length) {
      nextCentroids = relocateEmpty(rows.x, step.minDist, next, emptyIds);
      next.dispose();
    }
    tf.dispose([centroids, step.minDist, step.sums, step.counts]);
    prevLabels?.dispose();
    prevLabels = step.labels;
    centroids = nextCentroids;
    const shift = s[k];
    const changed = s[k + 1] !== 0;
    if (!changed || (shift <= tol && emptyIds.length === 0)) break;
  }
  prevLabels?.dispose();
  const inertia = await readScalar(tf.tidy(() => assignNearest(rows, centroids).minDist.sum()));
  return { centroids, inertia, iterations };
}

/** Moves each empty cluster's centre onto one of the rows farthest from their centre. */
function relocateEmpty(x: tfc.Tensor2D, minDist: tfc.Tensor1D, centroids: tfc.Tensor2D, emptyIds: number[]): tfc.Tensor2D {
  return tf.tidy(() => {
    const far = tf.topk(minDist, emptyIds.length).indices;
    const rows = tf.gather(x, far);
    return tf.tensorScatterUpdate(centroids, tf.tensor2d(emptyIds, [emptyIds.length, 1], 'int32'), rows) as tfc.Tensor2D;
  });
}
