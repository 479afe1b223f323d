import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { clustererFromModel, encodeModel, loadClusterer, memorySource, type Clusterer, type DescribeOptions } from '@clusterflow/clusterer';
import { tf, type Dataset, type RunConfig } from '@clusterflow/core';
import { trainedModel } from './trained-model.js';

/** A clusterer opened from what `predict` was given, with what it knows of the run. */
export interface OpenedModel {
  clusterer: Clusterer;
  /** From a checkpoint or run folder: the run's config, and its data when `withData` asked for it; absent for an exported model. */
  run?: { config: RunConfig; dataset?: Dataset; checkpoint: string };
  /** Read-outs the run has and the model cannot (k-means), with why. */
  skipped: { name: string; why: string }[];
}

/** Is `path` an exported model: a folder with model.json, or model.json itself? */
export function isExportedModel(path: string): boolean {
  if (basename(path) === 'model.json') return true;
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'model.json'));
}

/**
 * Opens an exported model folder, or a checkpoint / run folder. A checkpoint is
 * encoded in memory exactly as `export` writes it and loaded back by the same
 * loader, so predicting from a checkpoint and from its export cannot differ.
 */
export async function openModel(path: string, opts: DescribeOptions): Promise<OpenedModel> {
  if (isExportedModel(path)) return { clusterer: await loadClusterer(path), skipped: [] };
  const trained = await trainedModel(path, opts);
  try {
    const { files } = await encodeModel(trained.description, trained.weights);
    const clusterer = await clustererFromModel(JSON.parse(new TextDecoder().decode(files['model.json'])), memorySource(trained.checkpoint, files));
    return { clusterer, run: { config: trained.config, dataset: trained.dataset, checkpoint: trained.checkpoint }, skipped: trained.skipped };
  } finally {
    tf.dispose(Object.values(trained.weights));
  }
}
