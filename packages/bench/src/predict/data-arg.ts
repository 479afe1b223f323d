import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { Preprocessing } from '@clusterflow/clusterer';
import { ConfigError, readConfigFile, type ComponentRef, type Dataset, type Registry } from '@clusterflow/core';
import { vectorFormat } from '@clusterflow/data';

/** Options of `predict` that say how to read a path given as data. */
export interface DataArgOptions {
  /** Labels for vectors and idx images: a .json/.npy file (vectors) or an idx1 file (images). */
  labels?: string;
  /** CSV/Parquet: the label column. */
  labelColumn?: string;
}

/**
 * The dataset `predict` assigns, from its `<data>` argument:
 * - a data config `{ id, options }`: inline JSON (starts with '{'), or a
 *   .yaml/.yml/.json file holding one (a .json file holding vectors is read as vectors);
 * - a path: a folder of images (resized to the model's input size, with its channels),
 *   an idx (MNIST-format) file, or a vectors file (.npy, .csv, .tsv, .parquet, .json).
 * Relative paths in a config are resolved against its file's folder (inline: the working directory).
 */
export async function datasetFromArg(
  arg: string,
  model: Preprocessing,
  registry: Registry,
  opts: DataArgOptions = {},
): Promise<{ dataset: Dataset; ref: ComponentRef }> {
  const { ref, baseDir } = await refFromArg(arg, model, opts);
  let dataset: Dataset;
  try {
    dataset = await registry.build('dataset', ref, { baseDir });
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`data '${arg}': ${err.message}`, { cause: err });
    throw err;
  }
  checkFits(arg, dataset, model);
  return { dataset, ref };
}

async function refFromArg(arg: string, model: Preprocessing, opts: DataArgOptions): Promise<{ ref: ComponentRef; baseDir: string }> {
  const trimmed = arg.trim();
  if (trimmed.startsWith('{')) return { ref: asRef(parseInline(trimmed), arg), baseDir: process.cwd() };
  const path = resolve(arg);
  if (!existsSync(path)) throw new ConfigError(`data '${arg}' does not exist (give a path or a data config { id, options })`);
  if (statSync(path).isDirectory()) {
    if (model.input !== 'image') throw new ConfigError(`data '${arg}' is a folder (of images); the model takes vectors of ${model.dim} values`);
    const [h, w, c] = model.inputShape;
    return { ref: { id: 'image-folder', options: { path, channels: c === 1 || c === 3 ? c : 'auto', resize: [h, w] } }, baseDir: process.cwd() };
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml' || (ext === '.json' && isConfigJson(path)))
    return { ref: asRef(await readConfigFile(path), arg), baseDir: dirname(path) };
  if (/ubyte|idx\d/.test(basename(path).toLowerCase())) {
    return { ref: { id: 'idx', options: { images: path, ...(opts.labels ? { labels: resolve(opts.labels) } : {}) } }, baseDir: process.cwd() };
  }
  const format = vectorFormat(path);
  const options: Record<string, unknown> = { path };
  if (opts.labels) options.labels = resolve(opts.labels);
  if (opts.labelColumn !== undefined) options.labelColumn = opts.labelColumn;
  if (format === 'raw' && model.input === 'vectors') options.dim = model.dim;
  return { ref: { id: 'vectors', options }, baseDir: process.cwd() };
}

function parseInline(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`data '${text}' is not a valid inline JSON config: ${(err as Error).message}`);
  }
}

/** A .json file is a data config when it is an object with an 'id'; otherwise it holds vectors. */
function isConfigJson(path: string): boolean {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { id?: unknown }).id === 'string';
  } catch {
    return false;
  }
}

function asRef(v: unknown, arg: string): ComponentRef {
  const o = v as { id?: unknown; options?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.id !== 'string')
    throw new ConfigError(`data '${arg}': a data config is { id, options } (as a run config's data:), got ${JSON.stringify(v)}`);
  return { id: o.id, options: (o.options ?? {}) as Record<string, unknown> };
}

/** Refuses data the model cannot take, saying what it takes. */
function checkFits(arg: string, dataset: Dataset, model: Preprocessing): void {
  const s = dataset.sampleShape;
  if (model.input === 'vectors') {
    if (s.length !== 1 || s[0] !== model.dim)
      throw new ConfigError(`data '${arg}' has samples of shape [${s}]; the model takes vectors of ${model.dim} values`);
  } else {
    const c = s[2];
    if (s.length !== 3) throw new ConfigError(`data '${arg}' has samples of shape [${s}]; the model takes images [H, W, C] (resized to [${model.inputShape}])`);
    const want = model.inputShape[2];
    const convertible = c === want || ((c === 1 || c === 3 || c === 4) && (want === 1 || want === 3));
    if (!convertible) throw new ConfigError(`data '${arg}' has images of ${c} channels; the model takes ${want}`);
  }
}
