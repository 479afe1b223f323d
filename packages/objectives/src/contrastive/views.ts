import type * as tfc from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError, tf, type ObjectiveBatch, type ObjectiveContext } from '@clusterflow/core';

/** Contrastive objectives compare exactly two augmented views of each sample. */
export function requireTwoViews(ctx: ObjectiveContext, owner: string): void {
  if (ctx.numViews !== 2) {
    throw new ConfigError(`objective '${owner}' trains on 2 views per sample, but the augmentation gives ${ctx.numViews}`);
  }
}

/** The batch's two feature views, checked against the backbone's feature size. */
export function twoViews(batch: ObjectiveBatch, featureDim: number, owner: string): [tfc.Tensor2D, tfc.Tensor2D] {
  const { views } = batch;
  if (views.length !== 2) throw new ShapeError(`objective '${owner}' needs 2 views, got ${views.length}`);
  const [a, b] = views;
  for (const v of views) {
    if (v.rank !== 2 || v.shape[1] !== featureDim || v.shape[0] !== a.shape[0]) {
      throw new ShapeError(`objective '${owner}' needs views of shape [B, ${featureDim}], got [${a.shape}] and [${b.shape}]`);
    }
  }
  return [a, b];
}

/**
 * Applies `fn` to row blocks of `x` and concatenates the results, so that a
 * prediction over a whole dataset never holds the head's activations for all
 * samples at once.
 */
export function mapRowBlocks(x: tfc.Tensor2D, blockSize: number, fn: (block: tfc.Tensor2D) => tfc.Tensor): tfc.Tensor {
  return tf.tidy(() => {
    const n = x.shape[0];
    if (n <= blockSize) return fn(x);
    const parts: tfc.Tensor[] = [];
    for (let start = 0; start < n; start += blockSize) {
      parts.push(fn(tf.slice(x, [start, 0], [Math.min(blockSize, n - start), -1])));
    }
    return tf.concat(parts, 0);
  });
}

/** Rows handled per block in predict. */
export const PREDICT_BLOCK = 4096;
