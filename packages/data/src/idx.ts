import { resolve } from 'node:path';
import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { IMAGE_VIEWS, MLP_BACKBONE } from './defaults.js';
import { DataError } from './errors.js';
import { HostDataset } from './host-dataset.js';
import { readMaybeGzip } from './read-file.js';

export interface IdxArray {
  /** Dimensions from the header, e.g. [N, H, W]. */
  dims: number[];
  data: Uint8Array;
}

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

// The idx type byte; only unsigned bytes are used for images and labels.
const UINT8 = 0x08;

/**
 * Parses an idx file (the MNIST format): two zero bytes, a type byte, the number
 * of dimensions, one big-endian uint32 per dimension, then the data. Sizes come
 * from the header, never assumed; any disagreement with the file length is an error.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new DataError(`'${file}' is not an idx file: only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`'${file}' is not an idx file: magic bytes ${magic}, expected 00 00 08 <ndim>`);
  }
  if (bytes[2] !== UINT8) {
    throw new DataError(`'${file}': idx element type 0x${bytes[2].toString(16)} is not supported (only 0x08, uint8)`);
  }
  const ndim = bytes[3];
  const headerSize = 4 + 4 * ndim;
  if (ndim < 1 || bytes.length < headerSize) {
    throw new DataError(`'${file}': idx header of ${ndim} dimensions needs ${headerSize} bytes, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = headerSize + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    throw new DataError(
      `'${file}' is ${bytes.length < expected ? 'truncated' : 'too long'}: header [${dims}] needs ` +
        `${expected} bytes, found ${bytes.length}`,
    );
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/** Reads an idx image file (and labels) into a dataset of [H, W, C] uint8 samples. */
export function loadIdx(files: IdxFiles, id = 'idx'): HostDataset {
  const img = parseIdx(readMaybeGzip(files.images), files.images);
  if (img.dims.length !== 3 && img.dims.length !== 4) {
    throw new DataError(`'${files.images}': images need 3 or 4 idx dimensions ([N,H,W] or [N,H,W,C]), found [${img.dims}]`);
  }
  const [n, h, w, c = 1] = img.dims;
  let labels: Int32Array | undefined;
  if (files.labels) {
    const lab = parseIdx(readMaybeGzip(files.labels), files.labels);
    if (lab.dims.length !== 1) {
      throw new DataError(`'${files.labels}': labels need 1 idx dimension, found [${lab.dims}]`);
    }
    if (lab.dims[0] !== n) {
      throw new DataError(`'${files.labels}' has ${lab.dims[0]} labels but '${files.images}' has ${n} images`);
    }
    labels = Int32Array.from(lab.data);
  }
  return new HostDataset({
    id,
    data: img.data,
    sampleShape: [h, w, c],
    labels,
    description: `${id}: ${n} images ${h}x${w}x${c} from ${files.images}` + (files.labels ? ` with labels from ${files.labels}` : ''),
  });
}

export const idxDataset: DatasetFactory<IdxOptions> = {
  id: 'idx',
  description: 'Images in idx files (the MNIST format, raw or gzip), with optional idx1 labels',
  options: idxOptions,
  defaults: { augmentation: IMAGE_VIEWS, backbone: MLP_BACKBONE },
  async create(options, ctx) {
    return loadIdx({
      images: resolve(ctx.baseDir, options.images),
      labels: options.labels === undefined ? undefined : resolve(ctx.baseDir, options.labels),
    });
  },
};
