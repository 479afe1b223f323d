import { tf } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';

/**
 * Nearest-centroid assignment with squared Euclidean distances computed as
 * ||x||^2 - 2 x c^T + ||c||^2, i.e. one matMul per chunk of rows. Chunks keep the
 * [rows, k] distance block (and the one-hot block used for centroid sums) within
 * CHUNK_ELEMENTS floats whatever N and k are, so 70,000 x 128 with k = 1,000 stays
 * bounded; with small k a single chunk covers everything.
 */
export const CHUNK_ELEMENTS = 1 << 22;

export interface Assignment {
  /** [N] int32 nearest-centroid index. */
  labels: tfc.Tensor1D;
  /** [N] float32 squared distance to it (clamped at 0 against round-off). */
  minDist: tfc.Tensor1D;
}

export interface LloydStep extends Assignment {
  /** [k, d] per-cluster sums of the rows assigned to each centroid. */
  sums: tfc.Tensor2D;
  /** [k] rows per centroid. */
  counts: tfc.Tensor1D;
}

/** Rows per chunk so that rows * width stays within the budget. */
export function chunkRows(n: number, width: number, budget = CHUNK_ELEMENTS): number {
  return Math.max(1, Math.min(n, Math.floor(budget / Math.max(1, width))));
}

/** ||x_i||^2 per row, [N, 1]; computed once per run and reused by every step. */
export function rowSqNorms(x: tfc.Tensor2D): tfc.Tensor2D {
  return tf.tidy(() => x.square().sum(1, true) as tfc.Tensor2D);
}

/** Nearest centroid of each row of x. */
export function assignNearest(
  x: tfc.Tensor2D,
  xSq: tfc.Tensor2D,
  centroids: tfc.Tensor2D,
  budget = CHUNK_ELEMENTS,
): Assignment {
  return tf.tidy(() => {
    const parts = mapChunks(x, xSq, centroids.shape[0], budget, (xs, xsq) => {
      const { labels, minDist } = nearest(xs, xsq, centroids);
      return [labels, minDist];
    });
    return { labels: concat1d(parts.map((p) => p[0])), minDist: concat1d(parts.map((p) => p[1])) };
  });
}

/** One Lloyd pass: assignment to `centroids` plus the sums and counts of the new means. */
export function lloydStep(
  x: tfc.Tensor2D,
  xSq: tfc.Tensor2D,
  centroids: tfc.Tensor2D,
  budget = CHUNK_ELEMENTS,
): LloydStep {
  const k = centroids.shape[0];
  return tf.tidy(() => {
    const parts = mapChunks(x, xSq, k, budget, (xs, xsq) => {
      const { labels, minDist } = nearest(xs, xsq, centroids);
      // Segment sums as a matMul with the one-hot assignment: every backend has
      // OneHot and MatMul (wasm lacks UnsortedSegmentSum), and it is fast.
      const onehotT = tf.oneHot(labels, k).toFloat().transpose() as tfc.Tensor2D;
      const sums = tf.matMul(onehotT, xs);
      return [labels, minDist, sums, onehotT.sum(1)];
    });
    return {
      labels: concat1d(parts.map((p) => p[0])),
      minDist: concat1d(parts.map((p) => p[1])),
      sums: tf.addN(parts.map((p) => p[2])) as tfc.Tensor2D,
      counts: tf.addN(parts.map((p) => p[3])) as tfc.Tensor1D,
    };
  });
}

/**
 * Not tf.fused.matMul with a bias: on the wasm backend of TF.js 4.22 the fused
 * kernel with transposeB adds the bias to the wrong entries (see distance.spec).
 * The small operand is transposed explicitly rather than with matMul's transpose
 * flags, which made wasm's matMul 4-6x slower at 70,000 x 128 (measured).
 */
function nearest(xs: tfc.Tensor2D, xsq: tfc.Tensor2D, centroids: tfc.Tensor2D): Assignment {
  // ||c||^2 - 2 x c^T orders centroids like the full distance; ||x||^2 is added
  // only to the minimum, saving an [rows, k] add.
  const cSq = centroids.square().sum(1);
  const partial = tf.matMul(xs, centroids.mul(-2).transpose()).add(cSq) as tfc.Tensor2D;
  return {
    labels: partial.argMin(1) as tfc.Tensor1D,
    minDist: tf.relu(partial.min(1).add(xsq.reshape([-1]))) as tfc.Tensor1D,
  };
}

function mapChunks<T extends tfc.Tensor[]>(
  x: tfc.Tensor2D,
  xSq: tfc.Tensor2D,
  width: number,
  budget: number,
  fn: (xs: tfc.Tensor2D, xsq: tfc.Tensor2D) => T,
): T[] {
  const n = x.shape[0];
  const rows = chunkRows(n, width, budget);
  if (rows >= n) return [fn(x, xSq)];
  const out: T[] = [];
  for (let start = 0; start < n; start += rows) {
    const size = Math.min(rows, n - start);
    out.push(fn(x.slice([start, 0], [size, -1]), xSq.slice([start, 0], [size, 1])));
  }
  return out;
}

function concat1d(parts: tfc.Tensor[]): tfc.Tensor1D {
  return (parts.length === 1 ? parts[0] : tf.concat(parts)) as tfc.Tensor1D;
}
