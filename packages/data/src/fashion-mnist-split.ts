import { z } from 'zod';
import { DataError } from './errors.js';
import { HostDataset } from './host-dataset.js';

export type FashionMnistSplit = 'train' | 'test' | 'all';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

/** The `limit` option of both fashion-mnist datasets (files in Node, addresses in a browser). */
export const fashionMnistLimit = z
  .number()
  .int()
  .positive()
  .optional()
  .describe('only the first `limit` images of the split: quicker runs and evaluations (default: all)');

/** The distribution's file names of one part: `t10k-images-idx3-ubyte` and its labels (each raw or `.gz`). */
export function fashionMnistFiles(part: 'train' | 'test'): { images: string; labels: string } {
  const prefix = part === 'train' ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

/** The parts a split is made of, in order: 'all' is train then test (70,000 images). */
export function fashionMnistParts(split: FashionMnistSplit): ('train' | 'test')[] {
  return split === 'all' ? ['train', 'test'] : [split];
}

/**
 * One Fashion-MNIST dataset from the idx datasets of its parts (`sources`: where
 * their files came from), cut to its first `limit` images when asked.
 */
export function fashionMnistFromParts(parts: HostDataset[], split: FashionMnistSplit, sources: string[], limit?: number): HostDataset {
  const ds = parts.length === 1 ? parts[0] : concat(parts);
  if (limit !== undefined && limit > ds.size) throw new DataError(`fashion-mnist: limit ${limit} is more than the ${ds.size} images of the ${split} split`);
  const n = limit ?? ds.size;
  const sample = ds.data.length / ds.size;
  return new HostDataset({
    id: 'fashion-mnist',
    data: ds.data.subarray(0, n * sample),
    sampleShape: ds.sampleShape,
    labels: ds.labels?.subarray(0, n),
    numClasses: 10,
    classNames: FASHION_MNIST_CLASSES,
    description: `fashion-mnist ${split} split: ${limit === undefined ? '' : `the first ${n} of `}${ds.size} images 28x28x1 from ${sources.join(', ')}`,
  });
}

function concat(parts: HostDataset[]): { data: Uint8Array; labels: Int32Array; sampleShape: readonly number[]; size: number } {
  const size = parts.reduce((a, p) => a + p.size, 0);
  const sample = parts[0].data.length / parts[0].size;
  const data = new Uint8Array(size * sample);
  const labels = new Int32Array(size);
  let o = 0;
  for (const p of parts) {
    data.set(p.data as Uint8Array, o * sample);
    labels.set(p.labels!, o);
    o += p.size;
  }
  return { data, labels, sampleShape: parts[0].sampleShape, size };
}
