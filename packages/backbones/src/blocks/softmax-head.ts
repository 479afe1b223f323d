import type * as tfc from '@tensorflow/tfjs-core';
import { tf, type Rng } from '@clusterflow/core';
import { mlpHead, type MlpHeadOptions } from './mlp-head.js';
import type { Module } from './module.js';

export interface SoftmaxHeadOptions extends MlpHeadOptions {
  /** Logits are divided by this before the softmax (default 1). */
  temperature?: number;
}

/**
 * An mlpHead whose output goes through a softmax over the last axis: a cluster
 * head that returns assignment probabilities. State keys are mlpHead's.
 */
export function softmaxHead(dims: number[], rng: Rng, opts: SoftmaxHeadOptions = {}): Module {
  const head = mlpHead(dims, rng, opts);
  const t = opts.temperature ?? 1;
  return {
    ...head,
    apply: (x: tfc.Tensor, training: boolean) =>
      tf.tidy(() => {
        const logits = head.apply(x, training);
        return tf.softmax(t === 1 ? logits : tf.div(logits, t));
      }),
  };
}
