import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { sinkhorn, type SinkhornOptions } from '../sinkhorn.js';
import { noGrad } from '../ops/stop-gradient.js';

/**
 * SwAV's swapped prediction: view a's scores predict view b's targets and vice
 * versa, loss = (CE(q2, softmax(s1 / T)) + CE(q1, softmax(s2 / T))) / 2 with
 * CE(q, p) = mean over samples of -sum_k q_k log p_k. Scores may carry leading
 * batch axes ([P, B, K], one slice per random projection); the targets [B, K]
 * broadcast over them and the loss is the mean over all leading slices.
 */
export function swappedPrediction(scores1: tfc.Tensor, scores2: tfc.Tensor, targets1: tfc.Tensor2D, targets2: tfc.Tensor2D, temperature: number): tfc.Scalar {
  return tf.tidy(() => {
    const ce = (q: tfc.Tensor, s: tfc.Tensor) => tf.mean(tf.neg(tf.sum(tf.mul(q, tf.logSoftmax(tf.div(s, temperature))), -1)));
    return tf.div(tf.add(ce(targets2, scores1), ce(targets1, scores2)), 2) as tfc.Scalar;
  });
}

/** Sinkhorn targets of scores [B, K], constant for the backward pass (SwAV's torch.no_grad()). */
export function swavTargets(scores: tfc.Tensor2D, opts: SinkhornOptions): tfc.Tensor2D {
  return noGrad((s) => sinkhorn(s as tfc.Tensor2D, opts), scores);
}

export interface PopulationLossOptions extends SinkhornOptions {
  /** Softmax temperature of the predictions (0.1). */
  temperature: number;
}

/**
 * The population loss: SwAV's swapped prediction on the unprojected prototype scores
 * s = z C of two views, against their own Sinkhorn targets.
 */
export function populationLoss(scores1: tfc.Tensor2D, scores2: tfc.Tensor2D, opts: PopulationLossOptions): tfc.Scalar {
  return tf.tidy(() => swappedPrediction(scores1, scores2, swavTargets(scores1, opts), swavTargets(scores2, opts), opts.temperature));
}
