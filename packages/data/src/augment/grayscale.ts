import { z } from 'zod';
import { ConfigError, tf } from '@clusterflow/core';
import { defineTransform } from './define.js';
import { coins, luma, select } from './ops.js';

/** Random grayscale: luma replicated to the 3 channels (torchvision RandomGrayscale). */
export const grayscale = defineTransform({
  id: 'grayscale',
  description: 'Turns each colour sample gray (luma in all 3 channels) with probability p',
  options: {
    p: z.number().min(0).max(1).default(0.2).describe('probability that a sample is turned gray'),
  },
  create(o, { sampleShape }) {
    if (sampleShape[2] !== 3) throw new ConfigError(`transform 'grayscale' needs 3-channel images, got [${sampleShape}]`);
    return (x, rng) => select(coins(rng, x.shape[0], o.p), tf.tile(luma(x), [1, 1, 1, 3]), x);
  },
});

export type GrayscaleOptions = z.infer<typeof grayscale.options>;
