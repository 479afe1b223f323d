import type * as tfc from '@tensorflow/tfjs-core';
import { ShapeError, tf } from '@clusterflow/core';
import { ntXent } from './ntxent.js';

/** CC's cluster-level loss for two views, split into the parts an objective reports. */
export interface ClusterContrastiveLoss {
  /** NT-Xent over the 2K cluster columns. */
  contrast: tfc.Scalar;
  /** H(Y_a) + H(Y_b): the entropies of the two views' cluster-size distributions. */
  entropy: tfc.Scalar;
  /** contrast - entropyWeight · entropy: the scalar to minimise. */
  loss: tfc.Scalar;
}

export interface ClusterContrastiveOptions {
  /** τ_C of the cluster-level NT-Xent (CC: 1.0). */
  temperature?: number;
  /** Weight of the entropy term against collapse (CC: 1.0). */
  entropyWeight?: number;
}

/**
 * P log P is evaluated as P · log(max(P, LOG_EPS)), so that an empty cluster
 * (P = 0, a collapsed head) contributes 0 (the limit of P log P) with a finite
 * gradient, where log(0) would make the value and the gradient NaN.
 */
const LOG_EPS = 1e-30;

/**
 * Entropy of the cluster-size distribution of soft assignments y [N, K]:
 * P = column sums of y / N, H = -Σ_k P_k log P_k (maximal, log K, when the batch
 * is spread evenly; 0 when every sample is in one cluster).
 */
export function assignmentEntropy(y: tfc.Tensor2D): tfc.Scalar {
  return tf.tidy(() => {
    const p = tf.div(tf.sum(y, 0), y.shape[0]);
    return tf.neg(tf.sum(tf.mul(p, tf.log(tf.maximum(p, LOG_EPS))))) as tfc.Scalar;
  });
}

/**
 * Contrastive Clustering's cluster-level loss (Li et al., AAAI 2021) on the soft
 * assignments ya, yb [N, K] of two views (rows are softmax outputs).
 *
 * The K columns of each view are cluster representations: NT-Xent over the 2K
 * vectors C = [yaᵀ; ybᵀ] with temperature τ_C (rows L2-normalised, so this is
 * cosine similarity), positive = the same cluster in the other view. Minus the
 * entropies of both views' cluster-size distributions, which pushes against
 * putting the whole batch into a few clusters:
 *     loss = contrast - entropyWeight · (H(Y_a) + H(Y_b)).
 * The official code adds (log K + Σ P log P) = log K - H per view instead; with
 * entropyWeight 1 its value is this loss + 2 log K, a constant, so the gradients
 * are the same. This form keeps the reported parts summing to the total.
 */
export function clusterContrastiveLoss(ya: tfc.Tensor2D, yb: tfc.Tensor2D, opts: ClusterContrastiveOptions = {}): ClusterContrastiveLoss {
  const temperature = opts.temperature ?? 1.0;
  const entropyWeight = opts.entropyWeight ?? 1.0;
  if (ya.rank !== 2 || yb.rank !== 2 || ya.shape[0] !== yb.shape[0] || ya.shape[1] !== yb.shape[1]) {
    throw new ShapeError(`clusterContrastiveLoss needs two [N, K] assignments, got [${ya.shape}] and [${yb.shape}]`);
  }
  return tf.tidy(() => {
    const contrast = ntXent(tf.transpose(ya), tf.transpose(yb), temperature);
    const entropy = tf.add(assignmentEntropy(ya), assignmentEntropy(yb)) as tfc.Scalar;
    const loss = tf.sub(contrast, tf.mul(entropy, entropyWeight)) as tfc.Scalar;
    return { contrast, entropy, loss };
  });
}
