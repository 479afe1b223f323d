import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { l2Normalize } from '../ops/l2-normalize.js';
import { logSumExp } from '../ops/log-sum-exp.js';

/**
 * The exemplar (instance discrimination) loss of NPID against a memory bank.
 *
 * v [B, D] are the batch's normalised exemplar vectors, bank [N, D] one normalised
 * vector per training image, `indices` the batch rows' dataset indices. Without
 * `negatives`, the logits are v·M^T / tau over all N rows and the loss is the mean
 * cross-entropy towards column indices[i] (NPID's LinearAverage + CrossEntropy).
 * With `negatives` (B x n sampled bank rows, row-major), the logits are
 * [v·M[indices[i]], v·M[neg_i1], ...] / tau and the target is column 0.
 * The bank is read, never differentiated: it is not a trainable variable.
 */
export function exemplarLoss(v: tfc.Tensor2D, bank: tfc.Tensor2D, indices: Int32Array, temperature: number, negatives?: Int32Array): tfc.Scalar {
  const [b, d] = v.shape;
  if (indices.length !== b) throw new Error(`exemplarLoss: ${indices.length} indices for ${b} rows`);
  return tf.tidy(() => {
    // v/tau before the products: a [B, D] division instead of one over the [B, N] logits.
    const vt = tf.div(v, temperature);
    if (!negatives) {
      // CE towards column i = logsumexp(logits) - logit_i; the positive logit comes from
      // the gathered row, so no one-hot [B, N] is built (36 MB at B = 128, N = 70,000).
      const logits = tf.matMul(vt, bank, false, true);
      const positive = tf.sum(tf.mul(vt, tf.gather(bank, tf.tensor1d(indices, 'int32'))), 1);
      return tf.mean(tf.sub(logSumExp(logits, 1), positive)) as tfc.Scalar;
    }
    if (negatives.length % b !== 0) {
      throw new Error(`exemplarLoss: ${negatives.length} negatives is not a multiple of the batch ${b}`);
    }
    const n = negatives.length / b;
    // Row i: its positive then its n negatives.
    const rows = new Int32Array(b * (n + 1));
    for (let i = 0; i < b; i++) {
      rows[i * (n + 1)] = indices[i];
      rows.set(negatives.subarray(i * n, (i + 1) * n), i * (n + 1) + 1);
    }
    const weights = tf.reshape(tf.gather(bank, tf.tensor1d(rows, 'int32')), [b, n + 1, d]);
    const logits = tf.reshape(tf.matMul(weights, tf.reshape(vt, [b, d, 1])), [b, n + 1]);
    const positive = tf.reshape(tf.slice(logits, [0, 0], [b, 1]), [b]);
    return tf.mean(tf.sub(logSumExp(logits, 1), positive)) as tfc.Scalar;
  });
}

/**
 * The rows the bank takes after a step: normalise(m·M[i] + (1-m)·v_i), computed
 * from the bank's rows before the update and the step's (detached) vectors.
 */
export function momentumRows(oldRows: tfc.Tensor2D, v: tfc.Tensor2D, momentum: number): tfc.Tensor2D {
  return tf.tidy(() => l2Normalize(tf.add(tf.mul(oldRows, momentum), tf.mul(v, 1 - momentum))));
}

/**
 * Writes the momentum-updated rows into the bank variable with one device-side
 * scatter (tf.tensorScatterUpdate), so no N x D array is built on the host per step.
 * Duplicate indices in one batch are not expected (a sampler visits each sample once
 * per epoch); with duplicates, which row wins is up to the backend.
 */
export function updateBank(bank: tfc.Variable, indices: Int32Array, v: tfc.Tensor2D, momentum: number): void {
  tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    const rows = momentumRows(tf.gather(bank, idx) as tfc.Tensor2D, v, momentum);
    bank.assign(tf.tensorScatterUpdate(bank, tf.reshape(idx, [indices.length, 1]), rows));
  });
}
