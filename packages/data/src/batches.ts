import type { Dataset, Rng } from '@clusterflow/core';

export interface BatchOptions {
  batchSize: number;
  /** Visit samples in a seeded random order (default false: 0..N-1). */
  shuffle?: boolean;
  /** Required when shuffling; one permutation is drawn from it per call. */
  rng?: Rng;
  /** Skip a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/**
 * One epoch of index batches. Only indices are produced here; the loop uploads a
 * batch with `dataset.batch(indices)` and disposes it before asking for the next,
 * so the backend never holds more than one batch of samples.
 */
export function batches(dataset: Pick<Dataset, 'size'> | number, opts: BatchOptions): Generator<Int32Array> {
  const n = typeof dataset === 'number' ? dataset : dataset.size;
  const { batchSize, shuffle = false, dropLast = false } = opts;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (shuffle && !opts.rng) throw new RangeError('batches: shuffle needs an rng');
  let order: Int32Array;
  if (shuffle) order = opts.rng!.permutation(n);
  else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  // The permutation is drawn now, not at the first next(), so rng use is in call order.
  return slices(order, batchSize, dropLast);
}

function* slices(order: Int32Array, batchSize: number, dropLast: boolean): Generator<Int32Array> {
  for (let start = 0; start < order.length; start += batchSize) {
    const end = Math.min(order.length, start + batchSize);
    if (dropLast && end - start < batchSize) return;
    yield order.slice(start, end);
  }
}

/** Number of batches `batches` yields. */
export function numBatches(size: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}
