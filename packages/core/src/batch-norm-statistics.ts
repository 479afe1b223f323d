import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from './backend/tfjs.js';
import { throwIfAborted } from './loop/abort.js';
import type { FeatureModule } from './objective.js';
import { platform } from '#platform';
import { assignState, stateValue } from './state-updates.js';

/** A BatchNorm layer's running statistics (non-trainable variables). */
export interface RunningStatistics {
  mean: tfc.Variable;
  variance: tfc.Variable;
}

/** One training-mode batch's statistics: its mean and BIASED variance per channel, over `count` values each. */
export interface BatchStatistics {
  mean: tfc.Tensor;
  variance: tfc.Tensor;
  count: number;
}

/** Running sums per layer (keyed by its running mean: a layer passes a new wrapper each call) while statistics are recomputed. */
class Accumulator {
  readonly sums = new Map<tfc.Variable, { running: RunningStatistics; mean: tfc.Tensor; variance: tfc.Tensor; batches: number }>();

  add(running: RunningStatistics, batch: BatchStatistics): void {
    const unbiased = tf.mul(batch.variance, batch.count / (batch.count - 1));
    const old = this.sums.get(running.mean);
    const mean = tf.keep(old ? tf.add(old.mean, batch.mean) : tf.clone(batch.mean));
    const variance = tf.keep(old ? tf.add(old.variance, unbiased) : tf.clone(unbiased));
    if (old) tf.dispose([old.mean, old.variance]);
    this.sums.set(running.mean, { running, mean, variance, batches: (old?.batches ?? 0) + 1 });
  }

  dispose(): void {
    for (const s of this.sums.values()) tf.dispose([s.mean, s.variance]);
    this.sums.clear();
  }
}

let accumulating: Accumulator | undefined;

/**
 * What a BatchNorm layer does with a training-mode batch's statistics: moves its
 * running statistics by `momentum` (PyTorch's rule, the unbiased variance fed in),
 * or, while `recomputeBatchNormStatistics` runs, adds them to its sums instead.
 * A backbone plugin's own BatchNorm calls this to be recomputed too.
 */
export function updateRunningStatistics(running: RunningStatistics, batch: BatchStatistics, momentum: number): void {
  if (accumulating) return accumulating.add(running, batch);
  const { mean: rm, variance: rv } = running;
  assignState(rm, tf.add(tf.mul(stateValue(rm), 1 - momentum), tf.mul(batch.mean, momentum)));
  assignState(rv, tf.add(tf.mul(stateValue(rv), 1 - momentum), tf.mul(batch.variance, (momentum * batch.count) / (batch.count - 1))));
}

/**
 * Recomputes every BatchNorm layer's running statistics as the plain average over
 * the given batches (each batch's mean and unbiased variance, every batch weighted
 * alike), as PyTorch's `torch.optim.swa_utils.update_bn` (momentum None) and
 * fvcore's precise BN do: the running average a training leaves behind weighs its
 * last ~10 batches, of augmented images, while evaluation sees un-augmented ones.
 * The model runs in training mode on each batch; nothing trainable changes.
 * Returns how many layers were updated (0: the model has no BatchNorm that
 * reports through `updateRunningStatistics`).
 */
export async function recomputeBatchNormStatistics(model: FeatureModule, batches: Iterable<() => tfc.Tensor>, signal?: AbortSignal): Promise<number> {
  if (accumulating) throw new Error('recomputeBatchNormStatistics: already recomputing statistics');
  const acc = new Accumulator();
  try {
    for (const batch of batches) {
      throwIfAborted(signal);
      accumulating = acc;
      try {
        tf.tidy(() => {
          model.apply(batch(), true);
        });
      } finally {
        accumulating = undefined;
      }
      // A pause between batches, so that a cancellation (Ctrl-C, an unsubscribe) gets through.
      await platform.yieldToEventLoop();
    }
    for (const { running, ...s } of acc.sums.values()) {
      tf.tidy(() => {
        running.mean.assign(tf.div(s.mean, s.batches));
        running.variance.assign(tf.div(s.variance, s.batches));
      });
    }
    return acc.sums.size;
  } finally {
    acc.dispose();
  }
}
