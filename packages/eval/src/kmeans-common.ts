import { tf, throwIfAborted } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { assignNearest, disposeDerived, prepareRows, type PreparedRows } from './distance.js';
import { checkClusterCount, checkFeatures } from './feature-checks.js';

// What Lloyd's k-means (kmeans.ts) and mini-batch k-means (minibatch-kmeans.ts)
// share: their common options, the checked and centred input, and the final
// assignment read back in the input's coordinates.

export interface KMeansResult {
  /** Cluster of each row, 0..k-1. */
  labels: Int32Array;
  /** k x d centroids, row-major, in the coordinates of the input. */
  centroids: Float32Array;
  /** Sum of squared distances of rows to their centroid. */
  inertia: number;
  /** Lloyd iterations (or mini-batch steps) run by the best restart. */
  iterations: number;
}

/** The options both k-means share, with each one's own scikit-learn defaults. */
export function kmeansCommonOptions(defaults: { nInit: number; maxIter: number; tol: number }) {
  return z.object({
    k: z.number().int().positive(),
    nInit: z.number().int().positive().default(defaults.nInit),
    maxIter: z.number().int().positive().default(defaults.maxIter),
    /** Relative: stop when the summed squared centre shift <= tol * mean per-feature variance (0 disables it). */
    tol: z.number().nonnegative().default(defaults.tol),
    seed: z.number().int().default(0),
    /** Stops the work between restarts and steps with core's AbortError. */
    signal: z.instanceof(AbortSignal).optional(),
  });
}

/** The input, checked, centred on its mean (for float precision) and prepared for distances. */
export interface CentredInput {
  n: number;
  mean: tfc.Tensor2D;
  xc: tfc.Tensor2D;
  rows: PreparedRows;
  /** The mean of the centred rows' squares: the mean per-feature variance that `tol` is relative to. */
  meanVariance(): Promise<number>;
  dispose(): void;
}

/** Checks `x` ([N, d], finite, at least k rows: errors name `fn`) and centres it. Does not dispose `x`. */
export async function centredInput(fn: string, x: tfc.Tensor2D, k: number, signal?: AbortSignal): Promise<CentredInput> {
  throwIfAborted(signal);
  await checkFeatures(fn, 'x', x);
  const n = x.shape[0];
  checkClusterCount(fn, k, n);
  const mean = tf.tidy(() => x.mean(0, true) as tfc.Tensor2D);
  const xc = tf.tidy(() => x.sub(mean) as tfc.Tensor2D);
  const rows = prepareRows(xc);
  return {
    n,
    mean,
    xc,
    rows,
    // xc is centred, so the per-feature variance is the mean of squares.
    meanVariance: () => readScalar(tf.tidy(() => xc.square().mean())),
    dispose() {
      disposeDerived(rows);
      tf.dispose([mean, xc]);
    },
  };
}

/** Final assignment to the final centres (which it disposes), read back to the host in input coordinates. */
export async function finish(input: CentredInput, centroids: tfc.Tensor2D, iterations: number): Promise<KMeansResult> {
  const { labels, minDist } = assignNearest(input.rows, centroids);
  const inertiaT = minDist.sum();
  const shifted = centroids.add(input.mean);
  try {
    const [l, c, i] = await Promise.all([labels.data(), shifted.data(), inertiaT.data()]);
    return { labels: Int32Array.from(l), centroids: Float32Array.from(c), inertia: i[0], iterations };
  } finally {
    tf.dispose([labels, minDist, inertiaT, shifted, centroids]);
  }
}

/** Reads a scalar and disposes it. */
export async function readScalar(t: tfc.Tensor): Promise<number> {
  const v = (await t.data())[0];
  t.dispose();
  return v;
}
