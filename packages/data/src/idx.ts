import { resolve } from 'node:path';
import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { IMAGE_VIEWS, MLP_BACKBONE } from './defaults.js';
import type { HostDataset } from './host-dataset.js';
import { datasetFromIdx, type IdxSource } from './idx-parse.js';
import { readMaybeGzip } from './read-file.js';

export * from './idx-parse.js';

export interface IdxFiles {
  /** idx3 [N, H, W] (one channel) or idx4 [N, H, W, C] images, raw or gzip. */
  images: string;
  /** idx1 [N] labels, raw or gzip. */
  labels?: string;
}

export const idxOptions = z
  .object({
    images: z.string().describe('idx3/idx4 image file (raw or .gz), relative to the config'),
    labels: z.string().optional().describe('idx1 label file (raw or .gz)'),
  })
  .strict();

export type IdxOptions = z.infer<typeof idxOptions>;

/** Reads an idx image file (and labels) into a dataset of [H, W, C] uint8 samples. */
export function loadIdx(files: IdxFiles, id = 'idx'): HostDataset {
  const read = (path: string): IdxSource => ({ bytes: readMaybeGzip(path), name: path });
  return datasetFromIdx(read(files.images), files.labels === undefined ? undefined : read(files.labels), id);
}

export const idxDataset: DatasetFactory<IdxOptions> = {
  id: 'idx',
  description: 'Images in idx files (the MNIST format, raw or gzip), with optional idx1 labels',
  options: idxOptions,
  defaults: { augmentation: IMAGE_VIEWS, backbone: MLP_BACKBONE },
  create: async ({ images, labels }, { baseDir }) =>
    loadIdx({ images: resolve(baseDir, images), labels: labels === undefined ? undefined : resolve(baseDir, labels) }),
};
