import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { logSumExp } from '../ops/log-sum-exp.js';

/** Per-head values [H] of SCAN's loss. */
export interface ScanHeadLosses {
  /** consistency − entropyWeight · entropy. */
  total: tfc.Tensor1D;
  /** −log⟨p_anchor, p_neighbour⟩, averaged over the batch. */
  consistency: tfc.Tensor1D;
  /** Entropy of the mean anchor prediction (positive; SCAN subtracts it). */
  entropy: tfc.Tensor1D;
}

/** BCELoss clamps its log at −100 (torch.nn.functional.binary_cross_entropy). */
const LOG_FLOOR = -100;
/** losses/losses.py: EPS, the floor of the mean probabilities in the entropy. */
const ENTROPY_EPS = 1e-8;

/**
 * SCAN's loss (losses/losses.py, SCANLoss) of H heads at once, from logits
 * [B, H, K] of the anchors and of their neighbours: per head,
 * consistency = BCE(⟨p_a, p_n⟩, 1) = mean(−max(log⟨p_a, p_n⟩, −100)) and
 * entropy = −Σ_k p̄_k log p̄_k with p̄ = max(mean_b p_a, 1e-8).
 *
 * log⟨p_a, p_n⟩ is taken as logsumexp(log p_a + log p_n), which is finite where
 * the product underflows (two confident, disagreeing predictions), so the clamp
 * at −100 is reached without an infinite log on the way; the gradient is the
 * product's, −∇⟨p_a, p_n⟩ / ⟨p_a, p_n⟩, above the clamp and 0 below it, where
 * PyTorch's BCE gradient is (sim − 1) / max(sim (1 − sim), 1e-12), itself
 * vanishingly small there.
 */
export function scanHeadLosses(anchorLogits: tfc.Tensor3D, neighbourLogits: tfc.Tensor3D, entropyWeight: number): ScanHeadLosses {
  return tf.tidy(() => {
    const la = tf.logSoftmax(anchorLogits, -1);
    const ln = tf.logSoftmax(neighbourLogits, -1);
    const logSimilarity = logSumExp<tfc.Tensor2D>(tf.add(la, ln), 2); // [B, H]
    const consistency = tf.neg(tf.mean(tf.maximum(logSimilarity, LOG_FLOOR), 0)) as tfc.Tensor1D;
    const mean = tf.maximum(tf.mean(tf.exp(la), 0), ENTROPY_EPS); // [H, K]
    const entropy = tf.neg(tf.sum(tf.mul(mean, tf.log(mean)), 1)) as tfc.Tensor1D;
    const total = tf.sub(consistency, tf.mul(entropy, entropyWeight)) as tfc.Tensor1D;
    return { total, consistency, entropy };
  });
}
