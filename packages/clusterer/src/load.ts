import { modelSource } from '#read';
import type * as tfc from '@tensorflow/tfjs-core';
import { convnetFactory, mlpFactory, resnet18CifarFactory } from '@clusterflow/backbones';
import { Rng, stripPrefix, tf, type BackboneFactory } from '@clusterflow/core';
import { sha256Hex } from './checksum.js';
import { Clusterer } from './clusterer.js';
import { HEAD_OPS, opWeights } from './head-ops.js';
import { MODEL_FORMAT, type ModelJson } from './model-format.js';
import type { ModelSource } from './read/source.js';

/** The backbones every loader has: the built-in ones. A plugin's must be passed in `LoadOptions.backbones`. */
export const BUILTIN_BACKBONES: readonly BackboneFactory[] = [mlpFactory, convnetFactory, resnet18CifarFactory];

export interface LoadOptions {
  /** More backbone factories (a plugin's), besides the built-in ones. */
  backbones?: readonly BackboneFactory[];
  /** The fetch used for URLs (default: the global one). */
  fetch?: typeof fetch;
}

/** A model that cannot be loaded: the message names the model and what is wrong with it. */
export class ModelError extends Error {
  override name = 'ModelError';
}

/**
 * Loads a model written by `clusterflow export`: a URL (http(s); in a browser
 * also relative to the page) or, in Node, a folder or its model.json. Checks the
 * format, the weights' checksum and that every component is one this loader has,
 * then builds the backbone and heads on the current TF.js backend.
 */
export async function loadClusterer(urlOrPath: string, opts: LoadOptions = {}): Promise<Clusterer> {
  let source: ModelSource;
  try {
    source = await modelSource(urlOrPath, opts.fetch);
  } catch (err) {
    throw new ModelError((err as Error).message, { cause: err });
  }
  const text = new TextDecoder().decode(await wrap(source.read('model.json')));
  let model: ModelJson;
  try {
    model = JSON.parse(text) as ModelJson;
  } catch {
    throw new ModelError(`model ${source.name}: model.json is not valid JSON`);
  }
  return clustererFromModel(model, source, opts);
}

/** A clusterer from a parsed model.json and a way to read its shards (what `clusterflow predict` uses in memory). */
export async function clustererFromModel(model: ModelJson, source: ModelSource, opts: Pick<LoadOptions, 'backbones'> = {}): Promise<Clusterer> {
  const name = source.name;
  if (model?.format !== MODEL_FORMAT)
    throw new ModelError(`model ${name}: not a clusterflow model (format '${String(model?.format)}', expected '${MODEL_FORMAT}')`);
  if (model.formatVersion !== 1) throw new ModelError(`model ${name}: format version ${model.formatVersion} is newer than this loader reads (1)`);
  checkShape(model, name);
  const factories = [...(opts.backbones ?? []), ...BUILTIN_BACKBONES];
  const factory = factories.find((f) => f.id === model.backbone.id);
  if (!factory) {
    throw new ModelError(
      `model ${name} needs backbone '${model.backbone.id}', which this loader does not have (it has: ${factories.map((f) => f.id).join(', ')}); ` +
        `a plugin's backbone is passed as loadClusterer(url, { backbones: [factory] })`,
    );
  }
  for (const r of model.readouts) {
    const unknown = r.ops.find((op) => !HEAD_OPS.includes(op.op));
    if (unknown)
      throw new ModelError(
        `model ${name}: read-out '${r.name}' uses head op '${unknown.op}', which this loader does not have (it has: ${HEAD_OPS.join(', ')})`,
      );
  }
  // Shards in manifest order, concatenated: what the checksum covers and decodeWeights reads.
  const paths = model.weightsManifest.flatMap((g) => g.paths);
  const shards = await Promise.all(paths.map((p) => wrap(source.read(p))));
  const bytes = concat(shards);
  const digest = await sha256Hex(bytes);
  if (digest !== model.weightsSha256)
    throw new ModelError(`model ${name}: its weights do not match their checksum (sha256 ${digest}, model.json says ${model.weightsSha256})`);
  const specs = model.weightsManifest.flatMap((g) => g.weights);
  const expected = specs.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  if (expected !== bytes.length) throw new ModelError(`model ${name}: the manifest describes ${expected} bytes of weights, the shards hold ${bytes.length}`);
  const weights = tf.io.decodeWeights(bytes.buffer as ArrayBuffer, specs) as Record<string, tfc.Tensor>;
  const missing = model.readouts.flatMap((r) => r.ops.flatMap(opWeights)).filter((w) => !(w in weights));
  if (missing.length > 0) {
    tf.dispose(Object.values(weights));
    throw new ModelError(`model ${name}: its heads need weights the manifest lacks: ${[...new Set(missing)].join(', ')}`);
  }
  let backbone;
  try {
    backbone = factory.create(factory.options.parse(model.backbone.options ?? {}), { inputShape: model.backbone.inputShape, rng: new Rng(0) });
    backbone.setState(stripPrefix('backbone/', weights));
  } catch (err) {
    backbone?.dispose();
    tf.dispose(Object.values(weights));
    throw new ModelError(`model ${name}: cannot build backbone '${model.backbone.id}' from it: ${(err as Error).message}`, { cause: err });
  }
  // The backbone copied its weights; the clusterer keeps the heads'.
  const heads: Record<string, tfc.Tensor> = {};
  for (const [k, t] of Object.entries(weights)) {
    if (k.startsWith('backbone/')) t.dispose();
    else heads[k] = t;
  }
  return new Clusterer(model, backbone, heads);
}

/** The fields a loader relies on, with the types it relies on: model.json is a file the user did not write. */
function checkShape(model: ModelJson, name: string): void {
  const bad = (what: string) => new ModelError(`model ${name}: model.json ${what}`);
  const dims = (s: unknown) => Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (typeof model.backbone?.id !== 'string' || !dims(model.backbone.inputShape)) throw bad('has no backbone { id, options, inputShape }');
  if (!Number.isSafeInteger(model.numClusters) || model.numClusters < 1) throw bad(`has numClusters ${JSON.stringify(model.numClusters)}`);
  if (
    !Array.isArray(model.readouts) ||
    model.readouts.length === 0 ||
    model.readouts.some((r) => typeof r?.name !== 'string' || !Array.isArray(r.ops) || !(r.temperature > 0))
  ) {
    throw bad('has no read-outs [{ name, ops, temperature }]');
  }
  const p = model.preprocessing;
  if (
    !(p?.input === 'vectors'
      ? Number.isSafeInteger(p.dim) && p.dim > 0
      : p?.input === 'image' && dims(p.inputShape) && p.inputShape.length === 3 && p.pixelScale > 0)
  ) {
    throw bad(`has preprocessing ${JSON.stringify(p)}, neither { input: 'image', inputShape: [H, W, C], pixelScale } nor { input: 'vectors', dim }`);
  }
  if (!Array.isArray(model.weightsManifest) || typeof model.weightsSha256 !== 'string') throw bad('has no weightsManifest and weightsSha256');
  for (const g of model.weightsManifest) {
    if (!Array.isArray(g?.paths) || !g.paths.every((x) => typeof x === 'string') || !Array.isArray(g.weights))
      throw bad('has a weights group without paths and weights');
    for (const w of g.weights) {
      if (typeof w?.name !== 'string' || !dims(w.shape) || (w.dtype !== 'float32' && w.dtype !== 'int32'))
        throw bad(`has weight ${JSON.stringify(w)}: expected { name, shape, dtype: float32 | int32 }`);
    }
  }
}

async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw err instanceof ModelError ? err : new ModelError((err as Error).message, { cause: err });
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0].byteOffset === 0 && parts[0].byteLength === parts[0].buffer.byteLength ? parts[0] : parts[0].slice();
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
