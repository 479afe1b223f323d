import { z } from 'zod';
import { Adam, adamOptions } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { Sgd, sgdOptions } from './sgd.js';

export const optimizerConfig = z.discriminatedUnion('id', [
  z.object({ id: z.literal('sgd'), options: sgdOptions.default(sgdOptions.parse({})) }).strict(),
  z.object({ id: z.literal('adam'), options: adamOptions.default(adamOptions.parse({})) }).strict(),
  z.object({ id: z.literal('adamw'), options: adamOptions.default(adamOptions.parse({})) }).strict(),
]);
export type OptimizerConfig = z.infer<typeof optimizerConfig>;

export function createOptimizer(cfg: OptimizerConfig): Optimizer {
  switch (cfg.id) {
    case 'sgd':
      return new Sgd(cfg.options);
    case 'adam':
      return new Adam(cfg.options, false);
    case 'adamw':
      return new Adam(cfg.options, true);
  }
}

/** The base learning rate and weight decay of a config, whatever the optimizer. */
export function baseHyper(cfg: OptimizerConfig): { lr: number; weightDecay: number } {
  return { lr: cfg.options.lr, weightDecay: cfg.options.weightDecay };
}
