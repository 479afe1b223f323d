import type * as tfc from '@tensorflow/tfjs-core';
import { batchNormTrain, tf, updateRunningStatistics } from '@clusterflow/core';
import { constant } from './init.js';
import { leaf, type Module } from './module.js';

export interface BatchNormOptions {
  /** Weight of the new batch statistic in the running average (PyTorch convention; default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * BatchNorm over the last (channel) axis with PyTorch semantics: [B, D] is
 * BatchNorm1d, [B, H, W, C] is BatchNorm2d (statistics over B, H, W).
 *
 * training = true normalises with the biased batch variance, as PyTorch does, and
 * moves the running statistics by `momentum`, feeding them the UNBIASED variance
 * (n / (n - 1) times the biased one). The update goes through `assignState`, so in
 * a training step it lands only once the loss is known to be finite, and a second
 * forward pass in the same step (the other view) builds on the first one's update,
 * as in PyTorch. The gradient flows through the batch statistics.
 * training = false uses the running statistics, which `recomputeBatchNormStatistics`
 * (core) can recompute over un-augmented data (the `precise-bn` hook).
 *
 * State keys: 'weight' (γ), 'bias' (β), 'running_mean', 'running_var'.
 */
export function batchNorm(dim: number, opts: BatchNormOptions = {}): Module {
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const vars: Record<string, tfc.Variable> = {
    weight: constant([dim], 1, true),
    bias: constant([dim], 0, true),
    running_mean: constant([dim], 0, false),
    running_var: constant([dim], 1, false),
  };
  return leaf(vars, ['weight', 'bias'], (x, training) =>
    tf.tidy(() => {
      if (x.shape[x.rank - 1] !== dim || x.rank < 2) {
        throw new Error(`batchNorm(${dim}) got input of shape [${x.shape}]`);
      }
      if (!training) {
        const scale = tf.mul(vars.weight, tf.rsqrt(tf.add(vars.running_var, eps)));
        return tf.add(tf.mul(tf.sub(x, vars.running_mean), scale), vars.bias);
      }
      const n = x.size / dim;
      if (n < 2) throw new Error(`batchNorm(${dim}) in training needs more than 1 value per channel, got input [${x.shape}]`);
      // One fused kernel each way where the backend has it (wasm with @clusterflow/native), tf ops elsewhere.
      const { y, mean, variance } = batchNormTrain(x, vars.weight, vars.bias, eps);
      // The update is off the loss's path, so the gradient never flows into it.
      updateRunningStatistics({ mean: vars.running_mean, variance: vars.running_var }, { mean, variance, count: n }, momentum);
      return y;
    }),
  );
}
