import { z } from 'zod';
import { defineTransform } from './define.js';
import { coins, cropBoxes } from './ops.js';

/**
 * Horizontal flip per sample, as a cropAndResize whose box runs right to left where a
 * coin says so: samples land on pixel centres, so it is an exact pixel permutation,
 * and one kernel call instead of reverse + select (10x faster on wasm).
 */
export const flip = defineTransform({
  id: 'flip',
  description: 'Horizontal flip of each sample with probability p',
  options: {
    p: z.number().min(0).max(1).default(0.5).describe('probability that a sample is mirrored left-right'),
  },
  create: (o) => (x, rng) => {
    const [, H, W] = x.shape;
    const boxes = coins(rng, x.shape[0], o.p).map((m) => (m ? [0, 1, 1, 0] : [0, 0, 1, 1]));
    return cropBoxes(x, boxes, [H, W]);
  },
});

export type FlipOptions = z.infer<typeof flip.options>;
