import { Rng, tf, throwIfAborted } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { assignNearest, lloydStep, type PreparedRows } from './distance.js';
import { centredInput, finish, kmeansCommonOptions, readScalar, type KMeansResult } from './kmeans-common.js';
import { kmeansPlusPlus } from './kmeans-plusplus.js';
import { parseOptions } from './options.js';

/**
 * Options with scikit-learn MiniBatchKMeans's defaults. maxIter counts passes over
 * the data (steps = maxIter * N / batchSize), as scikit-learn's max_iter does.
 */
export const miniBatchKmeansOptionsSchema = kmeansCommonOptions({ nInit: 3, maxIter: 100, tol: 0 })
  .extend({
    batchSize: z.number().int().positive().default(1024),
    /** Rows used for seeding; default 3 * batchSize (at least 3k), capped at N. */
    initSize: z.number().int().positive().optional(),
    /** Stop after this many steps without improving the smoothed batch inertia. */
    maxNoImprovement: z.number().int().positive().default(10),
  })
  .strict();

export type MiniBatchKMeansOptions = z.input<typeof miniBatchKmeansOptionsSchema>;

/**
 * Mini-batch k-means (Sculley 2010, as scikit-learn's MiniBatchKMeans) for large N:
 * k-means++ on a sample, then steps on random batches where each centre moves to
 * the running mean of every row ever assigned to it (per-centre step 1/count).
 * Stops on scikit-learn's early-stopping rule (exponentially smoothed batch
 * inertia not improving for maxNoImprovement steps) or the step budget. Labels and
 * inertia are then computed on all rows. Unlike scikit-learn, low-count centres are
 * not randomly reassigned. `iterations` counts mini-batch steps. Does not dispose x.
 * An aborted `signal` rejects with AbortError and leaves no tensors.
 */
export async function miniBatchKmeans(x: tfc.Tensor2D, opts: MiniBatchKMeansOptions): Promise<KMeansResult> {
  const o = parseOptions('miniBatchKmeans', miniBatchKmeansOptionsSchema, opts);
  const input = await centredInput('miniBatchKmeans', x, o.k, o.signal);
  const { n, rows } = input;
  const batchSize = Math.min(o.batchSize, n);
  const initSize = Math.min(n, o.initSize ?? Math.max(3 * o.batchSize, 3 * o.k));
  const rng = new Rng(o.seed);

  let centroids: tfc.Tensor2D | undefined;
  let weights: tfc.Tensor1D | undefined;
  try {
    const tol = o.tol > 0 ? o.tol * (await input.meanVariance()) : 0;
    centroids = await bestSeeding(rows, o.k, o.nInit, initSize, rng, o.signal);
    weights = tf.zeros([o.k]) as tfc.Tensor1D;

    const steps = Math.max(1, Math.ceil((o.maxIter * n) / batchSize));
    const alpha = Math.min(1, (2 * batchSize) / (n + 1));
    let ewa: number | undefined;
    let ewaMin = Infinity;
    let noImprovement = 0;
    let step = 0;
    while (step < steps) {
      throwIfAborted(o.signal);
      step++;
      const idx = tf.tensor1d(
        Int32Array.from({ length: batchSize }, () => rng.int(n)),
        'int32',
      );
      const batch = gatherRows(rows, idx);
      const s = lloydStep(batch, centroids);
      const { next, nextWeights, stats } = tf.tidy(() => {
        const total = weights!.add(s.counts);
        // Running mean: (c * w + sum) / (w + count); a centre with no rows keeps its place.
        const moved = centroids!
          .mul(weights!.reshape([-1, 1]))
          .add(s.sums)
          .div(tf.maximum(total, 1).reshape([-1, 1]));
        const next = tf.where(s.counts.reshape([-1, 1]).greater(0), moved, centroids!) as tfc.Tensor2D;
        const shift = next.sub(centroids!).square().sum();
        return { next, nextWeights: total as tfc.Tensor1D, stats: tf.stack([s.minDist.sum(), shift]) };
      });
      const [batchInertia, shift] = await stats.data();
      tf.dispose([idx, batch.x, batch.xT, batch.sqNorms, s.labels, s.minDist, s.sums, s.counts, stats, centroids, weights]);
      centroids = next;
      weights = nextWeights;

      if (tol > 0 && shift <= tol) break;
      const perRow = batchInertia / batchSize;
      ewa = ewa === undefined ? perRow : ewa * (1 - alpha) + perRow * alpha;
      if (ewa < ewaMin) {
        ewaMin = ewa;
        noImprovement = 0;
      } else if (++noImprovement >= o.maxNoImprovement) break;
    }

    const final = centroids;
    centroids = undefined; // finish() takes the centroids over
    return await finish(input, final, step);
  } finally {
    input.dispose();
    centroids?.dispose();
    weights?.dispose();
  }
}

/** nInit k-means++ seedings on random samples, judged on one held sample (as scikit-learn). */
async function bestSeeding(rows: PreparedRows, k: number, nInit: number, initSize: number, rng: Rng, signal?: AbortSignal): Promise<tfc.Tensor2D> {
  const n = rows.x.shape[0];
  const sample = () =>
    tf.tensor1d(
      Int32Array.from({ length: initSize }, () => rng.int(n)),
      'int32',
    );
  const validIdx = sample();
  const valid = gatherRows(rows, validIdx);
  let best: tfc.Tensor2D | undefined;
  let bestInertia = Infinity;
  try {
    for (let i = 0; i < nInit; i++) {
      if (signal?.aborted) {
        best?.dispose();
        throwIfAborted(signal);
      }
      const idx = sample();
      const seedRows = gatherRows(rows, idx);
      const init = kmeansPlusPlus(seedRows, k, rng);
      tf.dispose([idx, seedRows.x, seedRows.xT, seedRows.sqNorms]);
      const inertia = await readScalar(tf.tidy(() => assignNearest(valid, init).minDist.sum()));
      if (inertia < bestInertia) {
        best?.dispose();
        best = init;
        bestInertia = inertia;
      } else init.dispose();
    }
    return best!;
  } finally {
    tf.dispose([validIdx, valid.x, valid.xT, valid.sqNorms]);
  }
}

/** The rows at `idx` (with repeats), prepared; the caller disposes all three tensors. */
function gatherRows(rows: PreparedRows, idx: tfc.Tensor1D): PreparedRows {
  return tf.tidy(() => {
    const x = tf.gather(rows.x, idx) as tfc.Tensor2D;
    return { x, xT: x.transpose() as tfc.Tensor2D, sqNorms: tf.gather(rows.sqNorms, idx) as tfc.Tensor1D };
  });
}
