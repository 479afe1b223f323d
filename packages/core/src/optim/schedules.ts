import { z } from 'zod';

export const scheduleConfig = z.discriminatedUnion('id', [
  z.object({ id: z.literal('constant') }).strict(),
  z
    .object({
      id: z.literal('warmup-cosine'),
      /** Epochs of linear warm-up from `startFactor`·lr to lr. */
      warmupEpochs: z.number().min(0).default(0),
      startFactor: z.number().min(0).max(1).default(0),
      /** Final learning rate as a fraction of the base one. */
      minFactor: z.number().min(0).max(1).default(0),
    })
    .strict(),
]);
export type ScheduleConfig = z.infer<typeof scheduleConfig>;

/**
 * Learning rate at a fractional epoch (epoch + step / stepsPerEpoch), changed every
 * step as in solo-learn and SeCu: linear warm-up, then cosine decay to minFactor·lr.
 */
export function learningRate(cfg: ScheduleConfig, baseLr: number, epochFloat: number, totalEpochs: number): number {
  if (cfg.id === 'constant') return baseLr;
  const { warmupEpochs, startFactor, minFactor } = cfg;
  if (epochFloat < warmupEpochs) {
    return baseLr * (startFactor + (1 - startFactor) * (epochFloat / warmupEpochs));
  }
  const span = Math.max(totalEpochs - warmupEpochs, 1e-12);
  const progress = Math.min((epochFloat - warmupEpochs) / span, 1);
  return baseLr * (minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
