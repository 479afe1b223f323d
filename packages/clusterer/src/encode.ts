import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { sha256Hex } from './checksum.js';
import { MODEL_FORMAT, type ModelJson, type WeightsGroup } from './model-format.js';

/** Shards of at most 4 MiB, as TF.js's converter writes them (fetches that caches and proxies take whole). */
const SHARD_BYTES = 4 << 20;

/** A model's description without what encoding adds (format, manifest, checksum). */
export type ModelDescription = Omit<ModelJson, 'format' | 'formatVersion' | 'weightsManifest' | 'weightsSha256'>;

/** The files of an exported model folder: model.json and its shards, by name. */
export interface ModelFiles {
  model: ModelJson;
  files: Record<string, Uint8Array>;
}

/**
 * Encodes a model into its folder's files with tf.io.encodeWeights (TF.js's
 * weights format): model.json and weights shards. Runs in Node and browsers
 * (the demo offers the result as a download); the tensors are left to the caller.
 */
export async function encodeModel(desc: ModelDescription, weights: Record<string, tfc.Tensor>): Promise<ModelFiles> {
  const names = Object.keys(weights).sort();
  for (const n of names) {
    if (weights[n].dtype !== 'float32' && weights[n].dtype !== 'int32') throw new Error(`cannot export weight '${n}': dtype ${weights[n].dtype}`);
  }
  const { data, specs } = await tf.io.encodeWeights(names.map((name) => ({ name, tensor: weights[name] })));
  const bytes = new Uint8Array(data);
  const count = Math.max(1, Math.ceil(bytes.length / SHARD_BYTES));
  const paths = Array.from({ length: count }, (_, i) => (count === 1 ? 'weights.bin' : `weights-${i + 1}of${count}.bin`));
  const files: Record<string, Uint8Array> = {};
  paths.forEach((p, i) => (files[p] = bytes.slice(i * SHARD_BYTES, Math.min(bytes.length, (i + 1) * SHARD_BYTES))));
  const group: WeightsGroup = { paths, weights: specs.map((s) => ({ name: s.name, shape: s.shape, dtype: s.dtype as 'float32' | 'int32' })) };
  const digest = await sha256Hex(bytes);
  const model: ModelJson = { format: MODEL_FORMAT, formatVersion: 1, ...desc, weightsManifest: [group], weightsSha256: digest };
  files['model.json'] = new TextEncoder().encode(JSON.stringify(model, null, 2) + '\n');
  return { model, files };
}

/** A ModelSource over files in memory (what `encodeModel` returned), for loading without writing them. */
export function memorySource(name: string, files: Record<string, Uint8Array>) {
  return {
    name,
    async read(file: string): Promise<Uint8Array> {
      const f = files[file];
      if (!f) throw new Error(`model ${name}: no file ${file}`);
      return f;
    },
  };
}
