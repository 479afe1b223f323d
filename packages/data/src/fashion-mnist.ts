import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { IMAGE_VIEWS, MLP_BACKBONE } from './defaults.js';
import { DataError } from './errors.js';
import { HostDataset } from './host-dataset.js';
import { loadIdx } from './idx.js';

export type FashionMnistSplit = 'train' | 'test' | 'all';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const SYSTEM_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * The 10k test split shipped with this package (MIT, see its COPYRIGHT). Resolved
 * from this module's own location: src/ and dist/ both sit one level below the
 * package root, so the same relative path works from sources and from the build.
 */
export const BUNDLED_FASHION_MNIST_DIR = fileURLToPath(new URL('../assets/fashion-mnist/', import.meta.url));

export const fashionMnistOptions = z
  .object({
    path: z.string().optional().describe('folder holding the idx files (gz or raw); default: system copy, else bundled test split'),
    split: z.enum(['train', 'test', 'all']).default('test').describe("'test' (10k, bundled), 'train' (60k) or 'all' (70k)"),
  })
  .strict();

export type FashionMnistOptions = z.infer<typeof fashionMnistOptions>;

interface SplitFiles {
  images: string;
  labels: string;
}

const PREFIX = { train: 'train', test: 't10k' } as const;

/** The idx files of one split in `dir` (gzip or raw names), or undefined when absent. */
function splitFiles(dir: string, split: 'train' | 'test'): SplitFiles | undefined {
  const find = (base: string) => [`${base}.gz`, base].map((n) => join(dir, n)).find((p) => existsSync(p));
  const images = find(`${PREFIX[split]}-images-idx3-ubyte`);
  const labels = find(`${PREFIX[split]}-labels-idx1-ubyte`);
  return images && labels ? { images, labels } : undefined;
}

/**
 * Chooses the files for a split: the folder in `path` when given (and then only
 * it: a wrong path is an error, not a silent fallback), else the system copy, else
 * the bundled test split.
 */
export function resolveFashionMnist(
  split: FashionMnistSplit,
  opts: { path?: string; searchDirs?: readonly string[] } = {},
): SplitFiles[] {
  const parts: ('train' | 'test')[] = split === 'all' ? ['train', 'test'] : [split];
  const dirs = opts.path !== undefined ? [opts.path] : (opts.searchDirs ?? [SYSTEM_FASHION_MNIST_DIR, BUNDLED_FASHION_MNIST_DIR]);
  for (const dir of dirs) {
    const found = parts.map((p) => splitFiles(dir, p));
    if (found.every((f) => f !== undefined)) return found as SplitFiles[];
  }
  const needed = parts.map((p) => `${PREFIX[p]}-images-idx3-ubyte.gz and ${PREFIX[p]}-labels-idx1-ubyte.gz`).join(', ');
  const onlyBundled = opts.path === undefined && split !== 'test';
  throw new DataError(
    `fashion-mnist split '${split}' not found: looked for ${needed} in ${dirs.join(', ')}.` +
      (onlyBundled ? ' Only the 10k test split is bundled;' : '') +
      ` put the files from https://github.com/zalandoresearch/fashion-mnist in a folder and pass it as 'path'` +
      ` (or install Debian's dataset-fashion-mnist into ${SYSTEM_FASHION_MNIST_DIR})`,
  );
}

/** Fashion-MNIST as [28, 28, 1] images with its 10 class labels. */
export function loadFashionMnist(split: FashionMnistSplit = 'test', opts: { path?: string; searchDirs?: readonly string[] } = {}): HostDataset {
  const found = resolveFashionMnist(split, opts);
  const parts = found.map((f) => loadIdx(f, 'fashion-mnist'));
  const ds = parts.length === 1 ? parts[0] : concat(parts);
  const files = found.flatMap((f) => [f.images, f.labels]);
  return new HostDataset({
    id: 'fashion-mnist',
    data: ds.data,
    sampleShape: ds.sampleShape,
    labels: ds.labels,
    numClasses: 10,
    classNames: FASHION_MNIST_CLASSES,
    description: `fashion-mnist ${split} split: ${ds.size} images 28x28x1 from ${files.join(', ')}`,
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

export const fashionMnistDataset: DatasetFactory<FashionMnistOptions> = {
  id: 'fashion-mnist',
  description: 'Fashion-MNIST (options.path, else /usr/share/datasets/fashion-mnist, else the bundled 10k test split)',
  options: fashionMnistOptions,
  defaults: { augmentation: IMAGE_VIEWS, backbone: MLP_BACKBONE },
  async create(o, ctx) {
    return loadFashionMnist(o.split, { path: o.path === undefined ? undefined : resolve(ctx.baseDir, o.path) });
  },
};
