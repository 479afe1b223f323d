import type * as tf from '@tensorflow/tfjs-core';
import { KNN, type Services } from '../services.js';

/**
 * The fraction of (sample, neighbour) pairs that share a label, for neighbours
 * [N, k] row-major: SCAN's "accuracy of top-k nearest neighbors" (memory.py, the
 * sample itself excluded).
 */
export function neighbourPurity(neighbours: Int32Array, k: number, labels: ArrayLike<number>): number {
  let same = 0;
  for (let p = 0; p < neighbours.length; p++) if (labels[neighbours[p]] === labels[Math.floor(p / k)]) same++;
  return same / neighbours.length;
}

/**
 * kNN purity of features [N, d]: the label agreement of every row's k nearest rows by
 * cosine similarity (the KNN service). How good a representation's neighbour graph is,
 * which is what SCAN clusters on; solo-learn's online k-NN evaluation measures the same.
 */
export async function featurePurity(features: tf.Tensor2D, labels: ArrayLike<number>, k: number, services: Services, signal?: AbortSignal): Promise<number> {
  const { indices } = await services.resolve(KNN)(features, { k, signal });
  return neighbourPurity(indices, k, labels);
}
