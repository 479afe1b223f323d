import { z } from 'zod';
import { tf } from '@clusterflow/core';
import { coins, uniform } from './ops.js';
import type { TransformFactory } from './transform.js';

export const affineOptions = z
  .object({
    id: z.literal('affine'),
    degrees: z.number().min(0).default(10).describe('rotation drawn from [-degrees, degrees]'),
    translate: z.tuple([z.number().min(0), z.number().min(0)]).default([0.1, 0.1]).describe('max shift as a fraction of [W, H]'),
    scale: z.tuple([z.number().positive(), z.number().positive()]).default([0.9, 1.1]).describe('zoom drawn from this range'),
    shear: z.number().min(0).default(0).describe('x-shear angle drawn from [-shear, shear] degrees'),
    fill: z.number().default(0).describe('value where the transformed image has no source pixel'),
    p: z.number().min(0).max(1).default(1).describe('probability that a sample is transformed'),
  })
  .strict();

export type AffineOptions = z.infer<typeof affineOptions>;

/**
 * The 8-number row tf.image.transform expects, mapping an output pixel to its
 * source: the inverse of (rotate * shear * scale about the centre, then translate).
 */
export function inverseAffineRow(H: number, W: number, deg: number, tx: number, ty: number, s: number, shearDeg: number): number[] {
  const a = (deg * Math.PI) / 180;
  const sh = Math.tan((shearDeg * Math.PI) / 180);
  // Forward matrix M = R * Sh * S, Sh = [[1, sh], [0, 1]].
  const [c, n] = [Math.cos(a), Math.sin(a)];
  const m00 = c * s, m01 = (c * sh - n) * s, m10 = n * s, m11 = (n * sh + c) * s;
  const det = m00 * m11 - m01 * m10;
  const [i00, i01, i10, i11] = [m11 / det, -m01 / det, -m10 / det, m00 / det];
  const [cx, cy] = [(W - 1) / 2, (H - 1) / 2];
  // src = C + M^-1 (dst - C - t)
  const ox = cx - (i00 * (cx + tx) + i01 * (cy + ty));
  const oy = cy - (i10 * (cx + tx) + i11 * (cy + ty));
  return [i00, i01, ox, i10, i11, oy, 0, 0];
}

/** Small random affine maps per sample (torchvision RandomAffine-like) via tf.image.transform, bilinear. */
export const affine: TransformFactory<AffineOptions> = {
  id: 'affine',
  description: 'Random rotation, translation, scale and shear per sample (bilinear, constant fill)',
  options: affineOptions,
  create(o) {
    return {
      id: o.id,
      outputShape: (s) => [...s],
      apply(x, rng) {
        const [B, H, W] = x.shape;
        const on = coins(rng, B, o.p);
        const rows = on.flatMap((a) => {
          const deg = uniform(rng, -o.degrees, o.degrees);
          const tx = uniform(rng, -o.translate[0], o.translate[0]) * W;
          const ty = uniform(rng, -o.translate[1], o.translate[1]) * H;
          const s = uniform(rng, o.scale[0], o.scale[1]);
          const sh = uniform(rng, -o.shear, o.shear);
          return a ? inverseAffineRow(H, W, deg, tx, ty, s, sh) : [1, 0, 0, 0, 1, 0, 0, 0];
        });
        return tf.image.transform(x, tf.tensor2d(rows, [B, 8]), 'bilinear', 'constant', o.fill);
      },
    };
  },
};
