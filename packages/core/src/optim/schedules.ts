import { z } from 'zod';
import type { ScheduleFactory } from './schedule.js';

export const warmupCosineOptions = z
  .object({
    /**
     * Epochs at lr 0 before the warm-up starts. SeCu's recipe freezes the encoder for
     * its first epoch (`adjust_learning_rate`: lr 0 in epoch 0, warm-up over epochs
     * 1-10), so that its centers first cluster the random network's features.
     */
    frozenEpochs: z.number().min(0).default(0),
    /** Epoch at which the linear warm-up from `startFactor`·lr (starting after `frozenEpochs`) reaches lr. */
    warmupEpochs: z.number().min(0).default(0),
    startFactor: z.number().min(0).max(1).default(0),
    /** Final learning rate as a fraction of the base one. */
    minFactor: z.number().min(0).max(1).default(0),
    /**
     * The warm-up's first step runs at one step's worth of warm-up rather than none
     * (startFactor·lr). SeCu's `adjust_learning_rate` takes
     * `max(1, iteration - num_iter)`, so its first step after the frozen epoch trains at
     * lr / (warm-up steps), where the plain formula gives 0. Needs the
     * loop's steps per epoch; without them (a caller passing none) it does nothing.
     */
    firstStepWarm: z.boolean().default(false),
  })
  .strict();
export type WarmupCosineOptions = z.output<typeof warmupCosineOptions>;

/**
 * Learning rate at a fractional epoch, changed every step as in solo-learn and
 * SeCu: linear warm-up, then cosine decay to minFactor·lr.
 */
export function warmupCosine(o: WarmupCosineOptions, baseLr: number, epochFloat: number, totalEpochs: number, stepsPerEpoch?: number): number {
  const { frozenEpochs, warmupEpochs, startFactor, minFactor } = o;
  if (epochFloat < frozenEpochs) return 0;
  if (epochFloat < warmupEpochs) {
    let into = epochFloat - frozenEpochs;
    // SeCu's max(1, iteration): the first warm-up step counts as one step in.
    if (o.firstStepWarm && stepsPerEpoch && into * stepsPerEpoch < 1) into = 1 / stepsPerEpoch;
    return baseLr * (startFactor + (1 - startFactor) * (into / (warmupEpochs - frozenEpochs)));
  }
  const span = Math.max(totalEpochs - warmupEpochs, 1e-12);
  const progress = Math.min((epochFloat - warmupEpochs) / span, 1);
  return baseLr * (minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

export const constantSchedule: ScheduleFactory<Record<string, never>> = {
  id: 'constant',
  description: 'the optimizer learning rate throughout',
  options: z.object({}).strict() as z.ZodType<Record<string, never>>,
  create: () => ({ id: 'constant', lr: (base) => base }),
};

export const warmupCosineSchedule: ScheduleFactory<WarmupCosineOptions> = {
  id: 'warmup-cosine',
  description: 'linear warm-up from startFactor*lr, then cosine decay to minFactor*lr, updated every step',
  options: warmupCosineOptions,
  create: (o) => ({ id: 'warmup-cosine', lr: (base, epochFloat, total, steps) => warmupCosine(o, base, epochFloat, total, steps) }),
};
