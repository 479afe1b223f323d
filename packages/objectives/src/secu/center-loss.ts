import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { l2Normalize } from '../ops/l2-normalize.js';
import { stopGradient } from '../ops/stop-gradient.js';

/**
 * S = sg(z) · normalize(C, columns): cosine similarities of the detached features
 * [B, D] to the trainable centers C [D, K]. The gradient reaches only C.
 */
export function centerSimilarities(z: tfc.Tensor2D, centers: tfc.Tensor2D): tfc.Tensor2D {
  return tf.tidy(() => tf.matMul(stopGradient(z), l2Normalize(centers, 0)));
}

/**
 * T = sg(S) + onehot(y) ⊙ (S − sg(S)): the value of S, with a gradient only at
 * each row's assigned entry, so negatives never push a center (spec §3.3).
 */
export function maskedLogits(s: tfc.Tensor2D, labels: tfc.Tensor1D): tfc.Tensor2D {
  return tf.tidy(() => {
    const fixed = stopGradient(s);
    const mask = tf.oneHot(labels, s.shape[1]);
    return tf.add(fixed, tf.mul(mask, tf.sub(s, fixed))) as tfc.Tensor2D;
  });
}

/** Mean cross-entropy of logits [B, K] against integer labels [B]. */
export function crossEntropy(logits: tfc.Tensor2D, labels: tfc.Tensor1D): tfc.Scalar {
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits, 1), tf.oneHot(labels, logits.shape[1])), 1);
    return tf.neg(tf.mean(picked)) as tfc.Scalar;
  });
}

/**
 * The stable cluster-discrimination loss of one head over both views:
 * CE(T¹/λ_w, ŷ) + CE(T²/λ_w, ŷ) with T the masked logits. Its gradient with
 * respect to center ŷ_i is −(1 − p_iŷ)·x_i/λ_w per row (before normalisation's
 * Jacobian), and zero for every other center: the hardness-weighted update.
 */
export function clusterCenterLoss(s1: tfc.Tensor2D, s2: tfc.Tensor2D, labels: tfc.Tensor1D, tw: number): tfc.Scalar {
  return tf.tidy(
    () => tf.add(crossEntropy(tf.div(maskedLogits(s1, labels), tw), labels), crossEntropy(tf.div(maskedLogits(s2, labels), tw), labels)) as tfc.Scalar,
  );
}
