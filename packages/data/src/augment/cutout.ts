import { z } from 'zod';
import type { Rng } from '@clusterflow/core';
import { defineTransform } from './define.js';
import { blend, coins, rectMask } from './ops.js';

/**
 * SCAN's Cutout (data/augment.py) with one hole: [top, left, bottom, right) of a
 * square whose side is drawn from 1..maxSide, centred on a uniformly drawn pixel
 * and clipped at the border (so holes at the edge are smaller, and an odd side
 * loses one pixel: the centre ± side // 2, as there). Always 1 + 3 draws per sample.
 */
export function drawCutout(rng: Rng, H: number, W: number, maxSide: number): [number, number, number, number] {
  const side = 1 + rng.int(maxSide);
  const cy = rng.int(H);
  const cx = rng.int(W);
  const half = Math.floor(side / 2);
  const clip = (v: number, n: number) => Math.min(Math.max(v, 0), n);
  return [clip(cy - half, H), clip(cx - half, W), clip(cy + half, H), clip(cx + half, W)];
}

/** Cutout with the hole's mask built from tensor comparisons, as random-erasing does. */
export const cutout = defineTransform({
  id: 'cutout',
  description: "SCAN's Cutout: a square hole of random side (up to size x the shorter side) at a random centre, clipped",
  options: {
    size: z
      .number()
      .positive()
      .max(1)
      .default(0.5)
      .describe("largest side of the square hole, as a fraction of the image's shorter side (SCAN: 16 px of CIFAR's 32)"),
    fill: z.number().default(0.5).describe('value written into the hole (SCAN cuts after normalising: the dataset mean)'),
    p: z.number().min(0).max(1).default(1).describe('probability that a sample gets a hole'),
  },
  create(o, { sampleShape }) {
    const maxSide = Math.max(1, Math.round(o.size * Math.min(sampleShape[0], sampleShape[1])));
    return (x, rng) => {
      const [B, H, W] = x.shape;
      const holes = coins(rng, B, o.p).map((a) => {
        const hole = drawCutout(rng, H, W, maxSide);
        return a ? hole : ([0, 0, 0, 0] as const);
      });
      return blend(rectMask(H, W, holes), o.fill, x);
    };
  },
});

export type CutoutOptions = z.infer<typeof cutout.options>;
