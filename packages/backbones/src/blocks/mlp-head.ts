import { tf, type Rng } from '@clusterflow/core';
import { batchNorm } from './batch-norm.js';
import { linear } from './linear.js';
import type { Layer, Module } from './module.js';
import { sequential } from './sequential.js';

export interface MlpHeadOptions {
  /** BatchNorm after each hidden Linear (default true: the Linear-BN-ReLU-Linear head). */
  batchNorm?: boolean;
}

/**
 * Linear(d0, d1) - [BN] - ReLU - ... - Linear(d_{n-1}, d_n): the projection and
 * cluster head of contrastive clustering methods. Nothing follows the last
 * Linear. State keys follow the equivalent PyTorch nn.Sequential
 * (with BN: '0.weight', '1.running_mean', '3.weight').
 */
export function mlpHead(dims: number[], rng: Rng, opts: MlpHeadOptions = {}): Module {
  if (dims.length < 2) throw new Error(`mlpHead needs at least two sizes, got [${dims}]`);
  const withBn = opts.batchNorm ?? true;
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    layers.push(linear(dims[i], dims[i + 1], rng));
    if (i + 2 < dims.length) {
      if (withBn) layers.push(batchNorm(dims[i + 1]));
      layers.push(tf.relu);
    }
  }
  return sequential(...layers);
}
