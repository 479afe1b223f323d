import { z } from 'zod';
import { ConfigError, tf, type TransformFactory } from '@clusterflow/core';
import { coins, luma, select } from './ops.js';

export const grayscaleOptions = z
  .object({
    p: z.number().min(0).max(1).default(0.2).describe('probability that a sample is turned gray'),
  })
  .strict();

export type GrayscaleOptions = z.infer<typeof grayscaleOptions>;

/** Random grayscale: luma replicated to the 3 channels (torchvision RandomGrayscale). */
export const grayscale: TransformFactory<GrayscaleOptions> = {
  id: 'grayscale',
  description: 'Turns each colour sample gray (luma in all 3 channels) with probability p',
  options: grayscaleOptions,
  create(o, { sampleShape }) {
    if (sampleShape[2] !== 3) throw new ConfigError(`transform 'grayscale' needs 3-channel images, got [${sampleShape}]`);
    return {
      id: 'grayscale',
      outputShape: (s) => [...s],
      apply(x, rng) {
        const mask = coins(rng, x.shape[0], o.p);
        return select(mask, tf.tile(luma(x), [1, 1, 1, 3]), x);
      },
    };
  },
};
