import { z } from 'zod';
import type { Rng } from '@clusterflow/core';
import { defineTransform } from './define.js';
import { blend, coins, rectMask } from './ops.js';

/** torchvision RandomErasing.get_params: [top, left, h, w], or undefined after 10 failed tries. */
export function drawErasing(rng: Rng, H: number, W: number, scale: [number, number], ratio: [number, number]): [number, number, number, number] | undefined {
  const [l0, l1] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let t = 0; t < 10; t++) {
    const area = H * W * (scale[0] + (scale[1] - scale[0]) * rng.float());
    const aspect = Math.exp(l0 + (l1 - l0) * rng.float());
    const h = Math.round(Math.sqrt(area * aspect));
    const w = Math.round(Math.sqrt(area / aspect));
    if (h < H && w < W && h > 0 && w > 0) return [rng.int(H - h + 1), rng.int(W - w + 1), h, w];
  }
  return undefined;
}

/**
 * Random erasing with the rectangle mask built from tensor comparisons
 * (row and column index ranges per sample), so no pixel is touched in JavaScript.
 * The mask is applied by `blend`, not tf.where, whose broadcast is slow on wasm.
 */
export const randomErasing = defineTransform({
  id: 'random-erasing',
  description: 'Erases a random rectangle of each sample with probability p',
  options: {
    p: z.number().min(0).max(1).default(0.5).describe('probability that a sample gets a rectangle erased'),
    scale: z.tuple([z.number().positive(), z.number().positive()]).default([0.02, 0.33]).describe('erased area fraction'),
    ratio: z.tuple([z.number().positive(), z.number().positive()]).default([0.3, 3.3]).describe('erased aspect ratio range'),
    value: z.number().default(0).describe('value written into the rectangle'),
  },
  create: (o) => (x, rng) => {
    const [B, H, W] = x.shape;
    const rects = coins(rng, B, o.p).map((a) => (a ? drawErasing(rng, H, W, o.scale, o.ratio) : undefined) ?? [0, 0, 0, 0]);
    // [top, left, h, w] -> [top, left, bottom, right)
    return blend(
      rectMask(
        H,
        W,
        rects.map(([t, l, h, w]) => [t, l, t + h, l + w] as const),
      ),
      o.value,
      x,
    );
  },
});

export type RandomErasingOptions = z.infer<typeof randomErasing.options>;
