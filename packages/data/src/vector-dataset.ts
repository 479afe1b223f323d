import { DataError } from './errors.js';
import { HostDataset } from './host-dataset.js';

/**
 * In-memory vectors (embeddings a user brings, not images): `batch` returns
 * [B, dim] float32 values unchanged (no [0, 1] scaling). `data` is either rows or
 * one flat array of N * dim values.
 */
export function vectorDataset(
  data: Float32Array | readonly (readonly number[])[],
  dim: number,
  labels?: ArrayLike<number>,
  description = 'vectors: in-memory',
): HostDataset {
  if (!Number.isInteger(dim) || dim <= 0) throw new DataError(`vectors: dim must be a positive integer, got ${dim}`);
  let flat: Float32Array;
  if (data instanceof Float32Array) {
    if (data.length % dim !== 0) throw new DataError(`vectors: ${data.length} values are not a whole number of ${dim}-vectors`);
    flat = data;
  } else {
    flat = new Float32Array(data.length * dim);
    data.forEach((row, i) => {
      if (row.length !== dim) throw new DataError(`vectors: row ${i} has ${row.length} values, expected ${dim}`);
      flat.set(row, i * dim);
    });
  }
  const n = flat.length / dim;
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i])) throw new DataError(`vectors: value ${flat[i]} at row ${Math.floor(i / dim)}, column ${i % dim} is not finite`);
  }
  let lab: Int32Array | undefined;
  if (labels) {
    if (labels.length !== n) throw new DataError(`vectors: ${labels.length} labels for ${n} vectors`);
    lab = Int32Array.from(labels);
    if (lab.some((l, i) => l < 0 || l !== labels[i])) throw new DataError('vectors: labels must be non-negative integers');
  }
  return new HostDataset({ id: 'vectors', data: flat, sampleShape: [dim], labels: lab, description: `${description}, ${n} x ${dim}` });
}
