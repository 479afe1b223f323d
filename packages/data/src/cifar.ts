import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { CIFAR_BACKBONE, IMAGE_VIEWS } from './defaults.js';
import { DataError } from './errors.js';
import { HostDataset } from './host-dataset.js';
import { readMaybeGzip } from './read-file.js';

export type CifarVariant = 'cifar10' | 'cifar100';

export interface CifarRecords {
  /** [N, 32, 32, 3] uint8, channel-last. */
  images: Uint8Array;
  labels: Int32Array;
}

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;

/**
 * Parses CIFAR binary records. CIFAR-10: 1 label byte + 3072 pixel bytes;
 * CIFAR-100: coarse label byte, fine label byte, 3072 pixel bytes. Pixels are
 * stored channel-planar (1024 R, 1024 G, 1024 B, each row-major) and are converted
 * to the channel-last layout every dataset here uses.
 */
export function parseCifar(bytes: Uint8Array, file: string, variant: CifarVariant, label: 'fine' | 'coarse' = 'fine'): CifarRecords {
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const record = labelBytes + PIXELS;
  const n = Math.floor(bytes.length / record);
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new DataError(
      `'${file}' is not a whole number of ${variant} records of ${record} bytes: expected ` +
        `${Math.max(1, n) * record}${n > 0 ? ` or ${(n + 1) * record}` : ''} bytes, found ${bytes.length} (truncated?)`,
    );
  }
  const labelOffset = variant === 'cifar10' || label === 'coarse' ? 0 : 1;
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  const plane = SIDE * SIDE;
  for (let i = 0; i < n; i++) {
    const r = i * record;
    labels[i] = bytes[r + labelOffset];
    const src = r + labelBytes;
    const dst = i * PIXELS;
    for (let p = 0; p < plane; p++) {
      images[dst + 3 * p] = bytes[src + p];
      images[dst + 3 * p + 1] = bytes[src + plane + p];
      images[dst + 3 * p + 2] = bytes[src + 2 * plane + p];
    }
  }
  return { images, labels };
}

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

const split = z.enum(['train', 'test', 'all']).default('test');

export const cifar10Options = z
  .object({
    path: z.string().optional().describe('folder with the binary batches (or its parent holding cifar-10-batches-bin)'),
    split: split.describe('which batches to read from `path`'),
    files: z.array(z.string()).min(1).optional().describe('explicit record files; overrides path/split'),
  })
  .strict();

export const cifar100Options = z
  .object({
    path: z.string().optional().describe('folder with train.bin/test.bin (or its parent holding cifar-100-binary)'),
    split: split.describe('which files to read from `path`'),
    files: z.array(z.string()).min(1).optional().describe('explicit record files; overrides path/split'),
    label: z.enum(['fine', 'coarse']).default('fine').describe('100 fine classes or 20 coarse superclasses'),
  })
  .strict();

export type Cifar10Options = z.infer<typeof cifar10Options>;
export type Cifar100Options = z.infer<typeof cifar100Options>;

const LAYOUT = {
  cifar10: {
    folder: 'cifar-10-batches-bin',
    train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
    test: ['test_batch.bin'],
  },
  cifar100: { folder: 'cifar-100-binary', train: ['train.bin'], test: ['test.bin'] },
} as const;

/** The record files for a split of the standard binary distribution under `dir`. */
export function cifarFiles(variant: CifarVariant, dir: string, which: 'train' | 'test' | 'all'): string[] {
  const layout = LAYOUT[variant];
  const nested = join(dir, layout.folder);
  const base = existsSync(nested) && statSync(nested).isDirectory() ? nested : dir;
  const names = which === 'all' ? [...layout.train, ...layout.test] : [...layout[which]];
  const files = names.map((n) => join(base, n));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) {
    throw new DataError(`${variant} ${which} split: missing ${missing.join(', ')} (expected the binary version under '${dir}')`);
  }
  return files;
}

/** Reads CIFAR record files into one dataset of [32, 32, 3] samples. */
export function loadCifar(variant: CifarVariant, files: readonly string[], label: 'fine' | 'coarse' = 'fine'): HostDataset {
  const parts = files.map((f) => parseCifar(readMaybeGzip(f), f, variant, label));
  const n = parts.reduce((a, p) => a + p.labels.length, 0);
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  let o = 0;
  for (const p of parts) {
    images.set(p.images, o * PIXELS);
    labels.set(p.labels, o);
    o += p.labels.length;
  }
  const numClasses = variant === 'cifar10' ? 10 : label === 'fine' ? 100 : 20;
  return new HostDataset({
    id: variant,
    data: images,
    sampleShape: [SIDE, SIDE, 3],
    labels,
    numClasses,
    classNames: variant === 'cifar10' ? CIFAR10_CLASSES : undefined,
    description: `${variant}${variant === 'cifar100' ? ` (${label} labels)` : ''}: ${n} images from ${files.join(', ')}`,
  });
}

function filesFrom(variant: CifarVariant, o: { path?: string; split: 'train' | 'test' | 'all'; files?: string[] }, baseDir: string): string[] {
  if (o.files) return o.files.map((f) => resolve(baseDir, f));
  if (o.path === undefined) throw new DataError(`${variant}: give 'path' (the folder of the binary batches) or 'files'`);
  return cifarFiles(variant, resolve(baseDir, o.path), o.split);
}

export const cifar10Dataset: DatasetFactory<Cifar10Options> = {
  id: 'cifar10',
  description: 'CIFAR-10 binary batches (cifar-10-batches-bin)',
  options: cifar10Options,
  defaults: { augmentation: IMAGE_VIEWS, backbone: CIFAR_BACKBONE },
  create: async (o, ctx) => loadCifar('cifar10', filesFrom('cifar10', o, ctx.baseDir)),
};

export const cifar100Dataset: DatasetFactory<Cifar100Options> = {
  id: 'cifar100',
  description: 'CIFAR-100 binary files (cifar-100-binary), fine or coarse labels',
  options: cifar100Options,
  defaults: { augmentation: IMAGE_VIEWS, backbone: CIFAR_BACKBONE },
  create: async (o, ctx) => loadCifar('cifar100', filesFrom('cifar100', o, ctx.baseDir), o.label),
};
