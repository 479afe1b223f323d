import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { IMAGE_VIEWS, MLP_BACKBONE } from './defaults.js';
import { DataError } from './errors.js';
import { fashionMnistFiles, fashionMnistFromParts, fashionMnistLimit, fashionMnistParts, type FashionMnistSplit } from './fashion-mnist-split.js';
import type { HostDataset } from './host-dataset.js';
import { loadIdx } from './idx.js';

export * from './fashion-mnist-split.js';

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
    limit: fashionMnistLimit,
  })
  .strict();

export type FashionMnistOptions = z.infer<typeof fashionMnistOptions>;

interface SplitFiles {
  images: string;
  labels: string;
}

/** The idx files of one split in `dir` (gzip or raw names), or undefined when absent. */
function splitFiles(dir: string, split: 'train' | 'test'): SplitFiles | undefined {
  const find = (base: string) => [`${base}.gz`, base].map((n) => join(dir, n)).find((p) => existsSync(p));
  const names = fashionMnistFiles(split);
  const images = find(names.images);
  const labels = find(names.labels);
  return images && labels ? { images, labels } : undefined;
}

/**
 * Chooses the files for a split: the folder in `path` when given (and then only
 * it: a wrong path is an error, not a silent fallback), else the system copy, else
 * the bundled test split.
 */
export function resolveFashionMnist(split: FashionMnistSplit, opts: { path?: string; searchDirs?: readonly string[] } = {}): SplitFiles[] {
  const parts = fashionMnistParts(split);
  const dirs = opts.path !== undefined ? [opts.path] : (opts.searchDirs ?? [SYSTEM_FASHION_MNIST_DIR, BUNDLED_FASHION_MNIST_DIR]);
  for (const dir of dirs) {
    const found = parts.map((p) => splitFiles(dir, p));
    if (found.every((f) => f !== undefined)) return found as SplitFiles[];
  }
  const needed = parts.map((p) => `${fashionMnistFiles(p).images}.gz and ${fashionMnistFiles(p).labels}.gz`).join(', ');
  const onlyBundled = opts.path === undefined && split !== 'test';
  throw new DataError(
    `fashion-mnist split '${split}' not found: looked for ${needed} in ${dirs.join(', ')}.` +
      (onlyBundled ? ' Only the 10k test split is bundled;' : '') +
      ` put the files from https://github.com/zalandoresearch/fashion-mnist in a folder and pass it as 'path'` +
      ` (or install Debian's dataset-fashion-mnist into ${SYSTEM_FASHION_MNIST_DIR})`,
  );
}

/** Fashion-MNIST as [28, 28, 1] images with its 10 class labels (the first `limit` of them, when given). */
export function loadFashionMnist(split: FashionMnistSplit = 'test', opts: { path?: string; searchDirs?: readonly string[]; limit?: number } = {}): HostDataset {
  const found = resolveFashionMnist(split, opts);
  const parts = found.map((f) => loadIdx(f, 'fashion-mnist'));
  return fashionMnistFromParts(
    parts,
    split,
    found.flatMap((f) => [f.images, f.labels]),
    opts.limit,
  );
}

export const fashionMnistDataset: DatasetFactory<FashionMnistOptions> = {
  id: 'fashion-mnist',
  description: 'Fashion-MNIST (options.path, else /usr/share/datasets/fashion-mnist, else the bundled 10k test split)',
  options: fashionMnistOptions,
  defaults: { augmentation: IMAGE_VIEWS, backbone: MLP_BACKBONE },
  create: async ({ split, path, limit }, { baseDir }) => loadFashionMnist(split, { path: path === undefined ? undefined : resolve(baseDir, path), limit }),
};
