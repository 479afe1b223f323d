import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { stopGradient } from '../ops/stop-gradient.js';

/**
 * The representation loss of one head (spec §3.4). Both views are scored against
 * the epoch-start snapshot P [D, K] (a constant), A^v = z^v·P/λ_x; each view
 * predicts a detached target mixing the other view's prediction and the stored
 * label: Q¹ = sg((1−τ)·softmax(A²) + τ·onehot(y)), Q² likewise with A¹.
 * Returns −mean Σ Q¹ log softmax(A¹) − mean Σ Q² log softmax(A²).
 */
export function representationLoss(z1: tfc.Tensor2D, z2: tfc.Tensor2D, snapshot: tfc.Tensor2D, labels: tfc.Tensor1D, tx: number, tau: number): tfc.Scalar {
  return tf.tidy(() => {
    const k = snapshot.shape[1];
    const a1 = tf.div(tf.matMul(z1, snapshot), tx) as tfc.Tensor2D;
    const a2 = tf.div(tf.matMul(z2, snapshot), tx) as tfc.Tensor2D;
    const hard = tf.mul(tf.oneHot(labels, k), tau);
    const q1 = stopGradient(tf.add(tf.mul(tf.softmax(a2, 1), 1 - tau), hard));
    const q2 = stopGradient(tf.add(tf.mul(tf.softmax(a1, 1), 1 - tau), hard));
    const ce = (q: tfc.Tensor, a: tfc.Tensor2D) => tf.neg(tf.mean(tf.sum(tf.mul(q, tf.logSoftmax(a, 1)), 1)));
    return tf.add(ce(q1, a1), ce(q2, a2)) as tfc.Scalar;
  });
}
