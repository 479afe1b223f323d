import { z } from 'zod';
import { tf } from '@clusterflow/core';
import { coins, select } from './ops.js';
import type { TransformFactory } from './transform.js';

export const flipOptions = z
  .object({
    id: z.literal('flip'),
    p: z.number().min(0).max(1).default(0.5).describe('probability that a sample is mirrored left-right'),
  })
  .strict();

export type FlipOptions = z.infer<typeof flipOptions>;

/** Horizontal flip per sample: the mirrored batch where a coin says so (an exact pixel permutation). */
export const flip: TransformFactory<FlipOptions> = {
  id: 'flip',
  description: 'Horizontal flip of each sample with probability p',
  options: flipOptions,
  create(o) {
    return {
      id: o.id,
      outputShape: (s) => [...s],
      apply(x, rng) {
        const mask = coins(rng, x.shape[0], o.p);
        return select(mask, tf.reverse(x, 2), x);
      },
    };
  },
};
