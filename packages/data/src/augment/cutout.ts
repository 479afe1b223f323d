import { z } from 'zod';
import { tf, type Rng, type TransformFactory } from '@clusterflow/core';
import { blend, coins, perSample } from './ops.js';

export const cutoutOptions = z
  .object({
    size: z
      .number()
      .positive()
      .max(1)
      .default(0.5)
      .describe("largest side of the square hole, as a fraction of the image's shorter side (SCAN: 16 px of CIFAR's 32)"),
    fill: z.number().default(0.5).describe('value written into the hole (SCAN cuts after normalising: the dataset mean)'),
    p: z.number().min(0).max(1).default(1).describe('probability that a sample gets a hole'),
  })
  .strict();

export type CutoutOptions = z.infer<typeof cutoutOptions>;

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
export const cutout: TransformFactory<CutoutOptions> = {
  id: 'cutout',
  description: "SCAN's Cutout: a square hole of random side (up to size x the shorter side) at a random centre, clipped",
  options: cutoutOptions,
  create(o, { sampleShape }) {
    const maxSide = Math.max(1, Math.round(o.size * Math.min(sampleShape[0], sampleShape[1])));
    return {
      id: 'cutout',
      outputShape: (s) => [...s],
      apply(x, rng) {
        const [B, H, W] = x.shape;
        const on = coins(rng, B, o.p);
        const holes = on.map((a) => {
          const hole = drawCutout(rng, H, W, maxSide);
          return a ? hole : [0, 0, 0, 0];
        });
        const rows = tf.reshape(tf.range(0, H, 1, 'float32'), [1, H, 1, 1]);
        const cols = tf.reshape(tf.range(0, W, 1, 'float32'), [1, 1, W, 1]);
        const edge = (k: number) => perSample(holes.map((h) => h[k]));
        const inRows = tf.cast(tf.logicalAnd(tf.greaterEqual(rows, edge(0)), tf.less(rows, edge(2))), 'float32');
        const inCols = tf.cast(tf.logicalAnd(tf.greaterEqual(cols, edge(1)), tf.less(cols, edge(3))), 'float32');
        return blend(tf.mul(inRows, inCols), o.fill, x);
      },
    };
  },
};
