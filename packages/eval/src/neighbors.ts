import { ShapeError, tf, throwIfAborted } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { chunkRows, CHUNK_ELEMENTS, normalizeRows } from './distance.js';
import { checkFeatures } from './feature-checks.js';
import { parseOptions } from './options.js';

export const nearestNeighborsOptionsSchema = z
  .object({
    /** Neighbours per row; at most N - 1, since a row is not its own neighbour. */
    k: z.number().int().positive(),
    /** Stops the work between row blocks with core's AbortError. */
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();

export type NearestNeighborsOptions = z.input<typeof nearestNeighborsOptionsSchema>;

export interface NearestNeighbors {
  /** [N, k] row-major: the neighbours of row i, most similar first (the smaller index on a tie). */
  indices: Int32Array;
  /** [N, k] row-major: their cosine similarities to row i. */
  similarities: Float32Array;
}

/**
 * The k most cosine-similar other rows of every row of x [N, d] (the KNN service
 * that neighbourhood-based objectives resolve). Similarities are computed block
 * by block of rows on the backend, each block [rows, N] within `budget` floats;
 * only the top-k of each row comes back. A row never meets itself; a zero row has
 * similarity 0 to everything. Does not dispose `x`; an aborted `signal` rejects
 * with AbortError and leaves no tensors.
 */
export async function nearestNeighbors(x: tfc.Tensor2D, opts: NearestNeighborsOptions, budget = CHUNK_ELEMENTS): Promise<NearestNeighbors> {
  const o = parseOptions('nearestNeighbors', nearestNeighborsOptionsSchema, opts);
  throwIfAborted(o.signal);
  await checkFeatures('nearestNeighbors', 'x', x);
  const n = x.shape[0];
  const k = o.k;
  if (k > n - 1) throw new ShapeError(`nearestNeighbors: k = ${k} neighbours need at least ${k + 1} rows, got ${n}`);

  const indices = new Int32Array(n * k);
  const similarities = new Float32Array(n * k);
  const unit = normalizeRows(x);
  const unitT = tf.tidy(() => unit.transpose() as tfc.Tensor2D);
  try {
    const rows = chunkRows(n, n, budget);
    for (let start = 0; start < n; start += rows) {
      throwIfAborted(o.signal);
      const size = Math.min(rows, n - start);
      const top = tf.tidy(() => {
        const sim = tf.matMul(unit.slice([start, 0], [size, -1]), unitT);
        // -inf on this block's diagonal: row i never meets itself.
        const self = tf.oneHot(tf.range(start, start + size, 1, 'int32'), n).cast('bool');
        return tf.topk(tf.where(self, tf.fill(sim.shape, -Infinity), sim), k);
      });
      try {
        const [values, idx] = await Promise.all([top.values.data(), top.indices.data()]);
        similarities.set(values, start * k);
        indices.set(idx, start * k);
      } finally {
        tf.dispose([top.values, top.indices]);
      }
    }
  } finally {
    tf.dispose([unit, unitT]);
  }
  return { indices, similarities };
}
