import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeTrainedModel, type DescribeOptions, type TrainedModel } from '@clusterflow/clusterer';
import { ConfigError, disposeCheckpoint, readCheckpoint, tf } from '@clusterflow/core';

/** The checkpoint of `path`: the file itself, or a run folder's checkpoints/last.ckpt (or last.ckpt). */
export function checkpointOf(path: string): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new ConfigError(`${path} does not exist`);
  if (!statSync(p).isDirectory()) return p;
  for (const c of [join(p, 'checkpoints', 'last.ckpt'), join(p, 'last.ckpt')]) if (existsSync(c)) return c;
  throw new ConfigError(`${path} holds no checkpoints/last.ckpt or last.ckpt (nor model.json: not an exported model either)`);
}

/**
 * A checkpoint or run folder as an exportable model (describeTrainedModel). Only
 * its public read functions are used: the checkpoint is read and verified by
 * core, no plugin is imported. The caller disposes `weights`.
 */
export async function trainedModel(path: string, opts: DescribeOptions): Promise<TrainedModel & { checkpoint: string }> {
  const checkpoint = checkpointOf(path);
  const ckpt = await readCheckpoint(checkpoint);
  try {
    const trained = await describeTrainedModel(ckpt, checkpoint, opts);
    // Keep the model's tensors beyond the checkpoint's disposal.
    const weights = Object.fromEntries(Object.entries(trained.weights).map(([k, t]) => [k, tf.clone(t)]));
    return { ...trained, weights, checkpoint };
  } finally {
    disposeCheckpoint(ckpt);
  }
}
