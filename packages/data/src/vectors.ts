import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { MLP_BACKBONE, VECTOR_VIEWS } from './defaults.js';
import { DataError } from './errors.js';
import type { HostDataset } from './host-dataset.js';
import { vectorDataset } from './vector-dataset.js';
import { readCsvVectors } from './vectors/csv.js';
import { readNpyLabels, readNpyVectors, type VectorTable } from './vectors/npy.js';
import { readParquetVectors } from './vectors/parquet.js';

export * from './vector-dataset.js';
export { npyBytes, readNpyLabels, readNpyVectors, type VectorTable } from './vectors/npy.js';
export { parseNpyHeader, type NpyHeader } from './vectors/npy-header.js';
export { readCsvVectors, type CsvVectorOptions } from './vectors/csv.js';
export { readParquetVectors, type ParquetVectorOptions } from './vectors/parquet.js';

const column = z.union([z.string(), z.number().int().nonnegative()]);

export const vectorsOptions = z
  .object({
    path: z
      .string()
      .describe(
        '.npy (float32/float64, C order), .csv/.tsv, .parquet, .json (rows, or { data: rows, labels? }) or a raw little-endian float32 file (any other extension)',
      ),
    dim: z.number().int().positive().optional().describe('vector length; required for raw float32 files'),
    labels: z.string().optional().describe('a .json array or a 1-D integer .npy of labels, one per vector (for .npy, .json and raw files)'),
    labelColumn: column.optional().describe('CSV/Parquet: the integer label column, by name (or 0-based index in a CSV without header)'),
    header: z
      .union([z.boolean(), z.literal('auto')])
      .optional()
      .describe("CSV: whether the first line names the columns (default 'auto': when a field of it is not a number)"),
    delimiter: z.string().optional().describe('CSV: the field separator (default: tab for .tsv, comma otherwise)'),
    column: z.string().optional().describe('Parquet: the list column holding the vectors (default: the one list column, or every numeric column)'),
    ignoreColumns: z.array(column).optional().describe("CSV/Parquet: columns that are neither values nor the label (an id; pandas' unnamed index is '')"),
  })
  .strict();

export type VectorsOptions = z.infer<typeof vectorsOptions>;

type Format = 'npy' | 'csv' | 'parquet' | 'json' | 'raw';

/** Which options each format reads; any other given is a mistake worth saying. */
const FORMAT_OPTIONS: Record<Format, readonly (keyof VectorsOptions)[]> = {
  npy: ['labels'],
  json: ['labels', 'dim'],
  raw: ['labels', 'dim'],
  csv: ['labelColumn', 'header', 'delimiter', 'ignoreColumns'],
  parquet: ['labelColumn', 'column', 'ignoreColumns'],
};

/** The format a vectors file is read as, by its extension. */
export function vectorFormat(path: string): Format {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.json') return 'json';
  return 'raw';
}

/** Reads vectors (and labels) from any supported file; `path` and `opts.labels` are used as given. */
export async function readVectors(path: string, opts: Omit<VectorsOptions, 'path'> = {}): Promise<HostDataset> {
  const format = vectorFormat(path);
  const given = opts as Partial<VectorsOptions>;
  const stray = (Object.keys(given) as (keyof VectorsOptions)[]).filter((k) => given[k] !== undefined && !FORMAT_OPTIONS[format].includes(k));
  if (stray.length > 0) {
    throw new DataError(
      `'${path}': option${stray.length > 1 ? 's' : ''} ${stray.map((k) => `'${k}'`).join(', ')} do${stray.length > 1 ? '' : 'es'} not apply to ${format} files (they take: ${FORMAT_OPTIONS[format].join(', ')})`,
    );
  }
  if (format === 'json' || format === 'raw') return loadVectors(path, opts);
  let table: VectorTable;
  if (format === 'npy') table = readNpyVectors(path);
  else if (format === 'csv') table = await readCsvVectors(path, opts);
  else
    table = await readParquetVectors(path, {
      column: opts.column,
      labelColumn: opts.labelColumn === undefined ? undefined : String(opts.labelColumn),
      ignoreColumns: opts.ignoreColumns?.map(String),
    });
  const labels = opts.labels === undefined ? table.labels : readLabels(opts.labels);
  try {
    return vectorDataset(table.data, table.dim, labels, `vectors: ${path}${opts.labels ? ` with labels from ${opts.labels}` : ''}`);
  } catch (err) {
    if (err instanceof DataError) throw new DataError(`'${path}': ${err.message}`, { cause: err });
    throw err;
  }
}

/** Reads vectors from a JSON or raw float32 file (synchronously; `readVectors` reads every format). */
export function loadVectors(path: string, opts: { dim?: number; labels?: string } = {}): HostDataset {
  let labels: ArrayLike<number> | undefined;
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
  if (opts.labels) labels = readLabels(opts.labels);
  try {
    return vectorDataset(ds.flat ?? ds.rows!, ds.dim, labels, `vectors: ${path}${opts.labels ? ` with labels from ${opts.labels}` : ''}`);
  } catch (err) {
    if (err instanceof DataError) throw new DataError(`'${path}': ${err.message}`, { cause: err });
    throw err;
  }
}

/** Labels from a .npy (any integer dtype) or a JSON array. */
function readLabels(path: string): ArrayLike<number> {
  if (extname(path).toLowerCase() === '.npy') return readNpyLabels(path);
  const l = readJson(path);
  if (!Array.isArray(l)) throw new DataError(`'${path}': expected a JSON array of labels`);
  return l as number[];
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
  description: 'Vectors (embeddings) from .npy, CSV/TSV, Parquet, JSON or raw float32 files, with optional labels',
  options: vectorsOptions,
  defaults: { augmentation: VECTOR_VIEWS, backbone: MLP_BACKBONE },
  create: async ({ path, labels, ...rest }, { baseDir }) =>
    readVectors(resolve(baseDir, path), { ...rest, labels: labels === undefined ? undefined : resolve(baseDir, labels) }),
};
