import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError } from '@clusterflow/core';
import { inverseAffineRow, warp } from './affine.js';
import { defineTransform } from './define.js';
import { adjustBrightness, adjustContrast, adjustSaturation } from './color-jitter.js';
import { perSample, select } from './ops.js';
import { autocontrast, posterize, sharpness, solarize } from './pil-ops.js';

/**
 * SCAN's RandAugment list (data/augment.py, augment_list) in its order, without
 * Equalize: a per-image histogram pass that has no cheap batched form here.
 */
export const RAND_AUGMENT_OPS = [
  'identity',
  'autocontrast',
  'rotate',
  'solarize',
  'color',
  'contrast',
  'brightness',
  'sharpness',
  'shear-x',
  'translate-x',
  'translate-y',
  'posterize',
  'shear-y',
] as const;
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

/**
 * The magnitude range of each operation (augment_list's): a magnitude is drawn
 * uniformly from it. Rotations in degrees; shears and translations as fractions
 * (of the width or height for a translation); solarize's threshold in PIL's
 * 0..256 levels; posterize's bits truncated to an integer; the enhance factors
 * below 1, as SCAN's list has them (they only weaken colour, contrast,
 * brightness and sharpness).
 */
const RANGES: Record<RandAugmentOp, [number, number]> = {
  identity: [0, 1],
  autocontrast: [0, 1],
  rotate: [-30, 30],
  solarize: [0, 256],
  color: [0.05, 0.95],
  contrast: [0.05, 0.95],
  brightness: [0.05, 0.95],
  sharpness: [0.05, 0.95],
  'shear-x': [-0.1, 0.1],
  'translate-x': [-0.1, 0.1],
  'translate-y': [-0.1, 0.1],
  posterize: [4, 8],
  'shear-y': [-0.1, 0.1],
};

const GEOMETRIC = new Set<RandAugmentOp>(['rotate', 'shear-x', 'shear-y', 'translate-x', 'translate-y']);
const IDENTITY_ROW = [1, 0, 0, 0, 1, 0, 0, 0];

/**
 * The inverse map (tf.image.transform's row: output pixel -> source pixel) of a
 * geometric operation at magnitude v, as PIL's Image.transform takes it: shears
 * about the top-left corner, translations by a fraction of the side, rotations
 * about the centre.
 */
function geometricRow(op: RandAugmentOp, v: number, H: number, W: number): number[] {
  switch (op) {
    case 'rotate':
      return inverseAffineRow(H, W, v, 0, 0, 1, 0);
    case 'shear-x':
      return [1, v, 0, 0, 1, 0, 0, 0];
    case 'shear-y':
      return [1, 0, 0, v, 1, 0, 0, 0];
    case 'translate-x':
      return [1, 0, v * W, 0, 1, 0, 0, 0];
    case 'translate-y':
      return [1, 0, 0, 0, 1, v * H, 0, 0];
    default:
      return IDENTITY_ROW;
  }
}

/** A pixel operation at magnitudes `v` (one per sample) on the whole batch. */
function pixelOp(op: RandAugmentOp, x: tfc.Tensor4D, v: number[]): tfc.Tensor4D {
  switch (op) {
    case 'autocontrast':
      return autocontrast(x);
    case 'solarize':
      return solarize(
        x,
        v.map((t) => t / 255),
      );
    case 'posterize':
      return posterize(x, v.map(Math.floor));
    case 'color':
      return adjustSaturation(x, perSample(v));
    case 'contrast':
      return adjustContrast(x, perSample(v));
    case 'brightness':
      return adjustBrightness(x, perSample(v));
    case 'sharpness':
      return sharpness(x, v);
    default:
      return x;
  }
}

/**
 * RandAugment as SCAN uses it (data/augment.py, Augment): `n` times, every
 * sample draws one operation from the list (with replacement) and a magnitude
 * uniformly from the operation's range. SCAN's random sign flips of the
 * geometric magnitudes are already in their symmetric ranges. Batched: in each
 * round the geometric choices become one bilinear warp of the batch (PIL uses
 * nearest-neighbour, fill 0 as here) and each chosen pixel operation runs once on
 * the batch, kept for the samples that drew it. Draws per round: B operations,
 * then B magnitudes, whatever was drawn.
 */
export const randAugment = defineTransform({
  id: 'rand-augment',
  description: "RandAugment (SCAN's list): n operations per sample, each with a random magnitude",
  options: {
    n: z.number().int().min(1).default(4).describe('operations per sample, drawn with replacement (SCAN: num_strong_augs = 4)'),
    ops: z
      .array(z.enum(RAND_AUGMENT_OPS))
      .min(1)
      .optional()
      .describe("operations to draw from; default: SCAN's list without equalize ('color' on 3-channel images only)"),
  },
  create(o, { sampleShape }) {
    const [H, W, C] = sampleShape;
    const ops: readonly RandAugmentOp[] = o.ops ?? RAND_AUGMENT_OPS.filter((op) => op !== 'color' || C === 3);
    if (C !== 3 && ops.includes('color')) throw new ConfigError(`transform 'rand-augment': 'color' needs 3-channel images, got [${sampleShape}]`);
    if ((H < 3 || W < 3) && ops.includes('sharpness'))
      throw new ConfigError(`transform 'rand-augment': 'sharpness' needs images of at least 3x3, got [${sampleShape}]`);
    return (x, rng) => {
      const B = x.shape[0];
      let y = x;
      for (let round = 0; round < o.n; round++) {
        const picks = Array.from({ length: B }, () => ops[rng.int(ops.length)]);
        const v = picks.map((op) => {
          const [lo, hi] = RANGES[op];
          return lo + (hi - lo) * rng.float();
        });
        if (picks.some((op) => GEOMETRIC.has(op)))
          y = warp(
            y,
            picks.map((op, b) => geometricRow(op, v[b], H, W)),
            0,
          );
        for (const op of new Set(picks)) {
          if (GEOMETRIC.has(op) || op === 'identity') continue;
          // The op runs on the whole batch: the samples that drew another op get a
          // magnitude of this op's own range, since another op's (solarize's 200 as
          // posterize's bits) can make NaN, which the blend below would keep.
          const own = picks.map((p, b) => (p === op ? v[b] : RANGES[op][0]));
          y = select(
            picks.map((p) => p === op),
            pixelOp(op, y, own),
            y,
          );
        }
      }
      return y;
    };
  },
});

export type RandAugmentOptions = z.infer<typeof randAugment.options>;
