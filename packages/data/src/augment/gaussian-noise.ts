import { z } from 'zod';
import { tf } from '@clusterflow/core';
import { defineTransform } from './define.js';
import { clip01, coins, perSample } from './ops.js';

/** Additive Gaussian noise, clipped to [0, 1]; the noise comes from tf.randomNormal seeded by rng. */
export const gaussianNoise = defineTransform({
  id: 'gaussian-noise',
  description: 'Adds N(0, std^2) noise to each sample with probability p, clipped to [0, 1]',
  options: {
    std: z.number().min(0).default(0.1).describe('standard deviation of the added noise (image range is [0, 1])'),
    p: z.number().min(0).max(1).default(0.5).describe('probability that a sample gets noise'),
  },
  create: (o) => (x, rng) => {
    const std = coins(rng, x.shape[0], o.p).map((a) => (a ? o.std : 0));
    const noise = tf.randomNormal(x.shape, 0, 1, 'float32', rng.tfSeed());
    return clip01(tf.add(x, tf.mul(noise, perSample(std))));
  },
});

export type GaussianNoiseOptions = z.infer<typeof gaussianNoise.options>;
