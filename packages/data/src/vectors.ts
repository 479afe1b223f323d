import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { MLP_BACKBONE, VECTOR_VIEWS } from './defaults.js';
import { DataError } from './errors.js';
import type { HostDataset } from './host-dataset.js';
import { vectorDataset } from './vector-dataset.js';

export * from './vector-dataset.js';

export const vectorsOptions = z
  .object({
    path: z
      .string()
      .describe('.json (rows, or { data: rows, labels? }) or a raw little-endian float32 file (any other extension)'),
    dim: z.number().int().positive().optional().describe('vector length; required for raw float32 files'),
    labels: z.string().optional().describe('a .json array of integer labels, one per vector'),
  })
  .strict();

export type VectorsOptions = z.infer<typeof vectorsOptions>;

/** Reads vectors from a JSON or raw float32 file. */
export function loadVectors(path: string, opts: { dim?: number; labels?: string } = {}): HostDataset {
  let labels: number[] | undefined;
  let ds: { flat?: Float32Array; rows?: number[][]; dim: number };
  if (extname(path).toLowerCase() === '.json') {
    const json = readJson(path) as unknown;
    const obj = Array.isArray(json) ? { data: json } : (json as { data?: unknown; labels?: unknown });
    if (!Array.isArray(obj.data) || !obj.data.every((r) => Array.isArray(r))) {
      throw new DataError(`'${path}': expected an array of rows or { data: rows, labels? }`);
    }
    const rows = obj.data as number[][];
    const dim = opts.dim ?? rows[0]?.length ?? 0;
    if (Array.isArray(obj.labels)) labels = obj.labels as number[];
    ds = { rows, dim };
  } else {
    if (opts.dim === undefined) throw new DataError(`'${path}': a raw float32 file needs the 'dim' option`);
    const buf = readFileSync(path);
    if (buf.length % (4 * opts.dim) !== 0) {
      const n = Math.floor(buf.length / (4 * opts.dim));
      throw new DataError(
        `'${path}' is not a whole number of ${opts.dim}-float32 vectors: expected ${n * 4 * opts.dim} or ` +
          `${(n + 1) * 4 * opts.dim} bytes, found ${buf.length}`,
      );
    }
    const flat = new Float32Array(buf.length / 4);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < flat.length; i++) flat[i] = view.getFloat32(4 * i, true);
    ds = { flat, dim: opts.dim };
  }
  if (opts.labels) {
    const l = readJson(opts.labels);
    if (!Array.isArray(l)) throw new DataError(`'${opts.labels}': expected a JSON array of labels`);
    labels = l as number[];
  }
  try {
    return vectorDataset(ds.flat ?? ds.rows!, ds.dim, labels, `vectors: ${path}${opts.labels ? ` with labels from ${opts.labels}` : ''}`);
  } catch (err) {
    if (err instanceof DataError) throw new DataError(`'${path}': ${err.message}`, { cause: err });
    throw err;
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DataError(`cannot read JSON '${path}': ${(err as Error).message}`, { cause: err });
  }
}

export const vectorsDataset: DatasetFactory<VectorsOptions> = {
  id: 'vectors',
  description: 'Vectors (embeddings) from a JSON or raw float32 file, with optional labels',
  options: vectorsOptions,
  defaults: { augmentation: VECTOR_VIEWS, backbone: MLP_BACKBONE },
  async create(o, ctx) {
    return loadVectors(resolve(ctx.baseDir, o.path), {
      dim: o.dim,
      labels: o.labels === undefined ? undefined : resolve(ctx.baseDir, o.labels),
    });
  },
};
