import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import type { SelfLabelOptions } from './options.js';

/** The selection rules of one batch, in counts. */
export interface PseudoLabelRules {
  threshold: number;
  /** Confident samples a class keeps at most. */
  maxPerClass: number;
  /** A class with fewer confident samples than this falls back. */
  minConfident: number;
  /** Samples a class that falls back takes. */
  fallbackCount: number;
  classBalance: boolean;
}

/** Which samples of a batch carry which pseudo-label, with what class weight. */
export interface PseudoLabels {
  /** int32 [B]: the pseudo-label of each row (meaningful where selected). */
  labels: tfc.Tensor1D;
  /** [B], 0 or 1: the rows that carry a pseudo-label. */
  selected: tfc.Tensor1D;
  /** [B], 0 or 1: the rows whose largest probability exceeds the threshold. */
  confident: tfc.Tensor1D;
  /** [K], 0 or 1: the classes that fell back to their top samples. */
  fallback: tfc.Tensor1D;
  /** [K]: n / count of each class among the selected rows (1 for absent classes, or for all without balancing). */
  classWeights: tfc.Tensor1D;
}

/** The rules for a batch of B rows and K classes: the options' shares of B / K as counts. */
export function rulesFor(options: SelfLabelOptions, b: number, k: number): PseudoLabelRules {
  const share = b / k;
  return {
    threshold: options.threshold,
    maxPerClass: Math.max(1, Math.floor(options.maxShare * share)),
    minConfident: options.minShare * share,
    fallbackCount: Math.min(b, Math.max(1, Math.floor(options.fallbackShare * share))),
    classBalance: options.classBalance,
  };
}

/**
 * Pseudo-labels from the weak view's probabilities [B, K] (no gradient: the
 * caller detaches them), in three steps, all on the device:
 *
 * 1. SCAN's confident samples (losses/losses.py, ConfidenceBasedCE): rows whose
 *    largest probability exceeds the threshold, labelled with its class.
 * 2. A cap per class: a class keeps its `maxPerClass` most confident rows (ties
 *    to the lower row), so that one cluster cannot take the batch.
 * 3. SPICE's fallback (spice/model/heads/sem_head.py, select_samples_v2): a class
 *    with fewer than `minConfident` confident rows gives up the few it has and
 *    takes instead its `fallbackCount` rows of highest probability for it, in
 *    class order, each among the rows no class has taken yet (rows kept in step
 *    2 and rows taken by a lower class are not available).
 *
 * Class weights (SCAN's class balancing): n / count_c over the selected rows,
 * 1 for a class with none.
 */
export function selectPseudoLabels(probs: tfc.Tensor2D, rules: PseudoLabelRules): PseudoLabels {
  return tf.tidy(() => {
    const [b, k] = probs.shape;
    const conf = tf.max(probs, 1);
    const target = tf.argMax(probs, 1) as tfc.Tensor1D;
    const confident = tf.cast(tf.greater(conf, rules.threshold), 'float32') as tfc.Tensor1D;
    const onehot = tf.cast(tf.oneHot(target, k), 'float32') as tfc.Tensor2D;

    // Rank of each row among the confident rows of its class: how many beat it (higher confidence, or equal and earlier).
    const row = tf.range(0, b, 1, 'int32');
    const [ci, cj] = [tf.reshape(conf, [b, 1]), tf.reshape(conf, [1, b])];
    const beats = tf.logicalOr(tf.greater(cj, ci), tf.logicalAnd(tf.equal(cj, ci), tf.less(tf.reshape(row, [1, b]), tf.reshape(row, [b, 1]))));
    const rivals = tf.mul(tf.mul(tf.matMul(onehot, onehot, false, true), tf.cast(beats, 'float32')), tf.reshape(confident, [1, b]));
    const rank = tf.sum(rivals, 1);
    const confidentPerClass = tf.sum(tf.mul(onehot, tf.reshape(confident, [b, 1])), 0);
    const fallback = tf.cast(tf.less(confidentPerClass, rules.minConfident), 'float32') as tfc.Tensor1D;
    const kept = tf.mul(tf.mul(confident, tf.cast(tf.less(rank, rules.maxPerClass), 'float32')), tf.sub(1, tf.gather(fallback, target)));

    let labels: tfc.Tensor = target;
    let selected: tfc.Tensor = kept;
    if (rules.minConfident > 0) {
      let available: tfc.Tensor = tf.sub(1, kept);
      const columns = tf.unstack(probs, 1);
      const falls = tf.unstack(fallback);
      for (let c = 0; c < k; c++) {
        const score = tf.where(tf.greater(available, 0), columns[c], tf.fill([b], -Infinity));
        const top = tf.sum(tf.oneHot(tf.topk(score, rules.fallbackCount).indices, b), 0);
        const take = tf.mul(tf.mul(top, available), falls[c]);
        labels = tf.where(tf.greater(take, 0), tf.fill([b], c, 'int32'), labels);
        selected = tf.add(selected, take);
        available = tf.sub(available, take);
      }
    }
    const counts = tf.sum(tf.mul(tf.cast(tf.oneHot(labels as tfc.Tensor1D, k), 'float32'), tf.reshape(selected, [b, 1])), 0);
    const classWeights = rules.classBalance
      ? tf.where(tf.greater(counts, 0), tf.div(tf.sum(counts), tf.maximum(counts, 1)), tf.onesLike(counts))
      : tf.ones([k]);
    return {
      labels: labels as tfc.Tensor1D,
      selected: selected as tfc.Tensor1D,
      confident,
      fallback,
      classWeights: classWeights as tfc.Tensor1D,
    };
  });
}

/**
 * The targets of the cross-entropy, [B, K]: row i is w_{y_i} · onehot(y_i) / Σ_j w_{y_j}
 * over the selected rows, 0 elsewhere, so that Σ targets ⊙ (−log softmax) is
 * F.cross_entropy(weight=w, reduction='mean') over the selected rows (SCAN's
 * MaskedCrossEntropyLoss). With no row selected every target is 0 (SCAN raises).
 */
export function pseudoLabelTargets(p: PseudoLabels): tfc.Tensor2D {
  return tf.tidy(() => {
    const k = p.classWeights.shape[0];
    const rowWeight = tf.mul(p.selected, tf.gather(p.classWeights, p.labels));
    const total = tf.sum(rowWeight);
    const scale = tf.div(rowWeight, tf.where(tf.greater(total, 0), total, tf.onesLike(total)));
    return tf.mul(tf.cast(tf.oneHot(p.labels, k), 'float32'), tf.expandDims(scale, 1)) as tfc.Tensor2D;
  });
}

/** Σ targets ⊙ (−log softmax(logits)): the cross-entropy against fixed targets. */
export function targetCrossEntropy(logits: tfc.Tensor2D, targets: tfc.Tensor2D): tfc.Scalar {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits, -1)))) as tfc.Scalar);
}
