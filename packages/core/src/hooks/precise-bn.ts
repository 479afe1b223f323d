import { z } from 'zod';
import { recomputeBatchNormStatistics } from '../batch-norm-statistics.js';
import { dueAtEpochEnd, HOOK_PRIORITY, type HookContext, type HookFactory } from '../hook.js';
import { inferenceInput } from '../loop/embed.js';
import type { FeatureModule } from '../objective.js';
import { LOGGER } from '../services.js';

const options = z
  .object({
    /** Recompute every this many epochs, and always after a stage's last one; 0: only after the last. Match `eval.every` to recompute before each evaluation. */
    every: z.number().int().min(0).default(1),
    /** Rows to average over, spread evenly through the dataset; default all of them. */
    samples: z.number().int().min(2).optional(),
    /** Rows per batch; default the run's training batch size (batch statistics depend on it). */
    batchSize: z.number().int().min(2).optional(),
  })
  .strict();

export type PreciseBnOptions = z.output<typeof options>;

/** The rows to average over: `samples` of them spread evenly (no RNG: the run's stream stays as it was). */
function rowsOf(size: number, samples: number | undefined): Int32Array {
  const n = Math.min(size, samples ?? size);
  return new Int32Array(n).map((_, i) => Math.floor((i * size) / n));
}

async function recompute(ctx: HookContext, o: PreciseBnOptions): Promise<number> {
  const { run } = ctx;
  const rows = rowsOf(run.dataset.size, o.samples);
  const batchSize = o.batchSize ?? ctx.config.train.batchSize;
  const input = inferenceInput(run);
  function* batches() {
    for (let start = 0; start < rows.length; start += batchSize) {
      // BatchNorm in training needs 2 rows; a last batch of 1 is left out.
      if (rows.length - start < 2) return;
      const idx = rows.subarray(start, start + batchSize);
      yield () => input(idx);
    }
  }
  // The backbone, then the objective's read-out modules on its features (PyTorch's
  // update_bn over the whole model): a projector's BatchNorm sees the same batches.
  const heads = run.objective.readoutModules?.() ?? [];
  const model: FeatureModule = {
    apply(x, training) {
      const features = run.backbone.apply(x, training);
      for (const head of heads) head.apply(features, training);
      return features;
    },
  };
  return recomputeBatchNormStatistics(model, batches(), ctx.signal);
}

/**
 * Precise BN (MMEngine's PreciseBNHook, fvcore's update_bn_stats): before an
 * evaluation, recomputes the BatchNorm running statistics of the backbone and of
 * the objective's read-out modules (`readoutModules`) as the plain average over
 * un-augmented images, the images evaluation sees. Training leaves
 * behind a running average of its last ~10 batches of augmented views; the cluster
 * read-outs and the neighbours SCAN mines are computed with those statistics.
 * Nothing trainable changes; the checkpoint written after the epoch holds the new
 * statistics. Label-free: it reads images, never labels.
 */
export const preciseBnHook: HookFactory<PreciseBnOptions> = {
  id: 'precise-bn',
  description:
    "recomputes the BatchNorm statistics of the backbone and the objective's read-out over un-augmented images before evaluations (options: every, samples, batchSize)",
  options,
  create: (o, { services }) => {
    let warned = false;
    let lastStep = -1;
    const run = async (ctx: HookContext) => {
      lastStep = ctx.step;
      const layers = await recompute(ctx, o);
      if (layers === 0 && !warned) {
        warned = true;
        const message = `precise-bn: neither backbone '${ctx.run.backbone.id}' nor objective '${ctx.run.objective.id}' has BatchNorm layers to recompute`;
        ctx.emit({ type: 'warning', epoch: ctx.runEpoch, message });
        services.resolve(LOGGER).warn(`warning: ${message}`);
      }
    };
    return {
      id: 'precise-bn',
      priority: HOOK_PRIORITY.preciseBn,
      async onEpochEnd(ctx) {
        if (dueAtEpochEnd(ctx, o.every)) await run(ctx);
      },
      // A run stopped early is evaluated once more at its end (the evaluate hook): its statistics first.
      async onRunEnd(ctx) {
        if (ctx.end?.kind === 'interrupted' || lastStep === ctx.step) return;
        await run(ctx);
      },
    };
  },
};
