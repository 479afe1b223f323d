import { z } from 'zod';
import type { Rng, TransformFactory } from '@clusterflow/core';
import { cropBoxes, pixelBox } from './ops.js';

export const randomResizedCropOptions = z
  .object({
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional().describe('[H, W] output; default the input size'),
    scale: z.tuple([z.number().positive(), z.number().positive()]).default([0.08, 1]).describe('crop area as a fraction of the image'),
    ratio: z.tuple([z.number().positive(), z.number().positive()]).default([3 / 4, 4 / 3]).describe('crop aspect ratio w/h range'),
  })
  .strict();

export type RandomResizedCropOptions = z.infer<typeof randomResizedCropOptions>;

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 tries for an integer crop
 * with area in `scale` and log-uniform aspect ratio in `ratio`, else a centre crop
 * with the ratio clamped into range. Returns [top, left, height, width].
 */
export function drawResizedCrop(rng: Rng, H: number, W: number, scale: [number, number], ratio: [number, number]): [number, number, number, number] {
  const area = H * W;
  const [lr0, lr1] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let t = 0; t < 10; t++) {
    const target = area * (scale[0] + (scale[1] - scale[0]) * rng.float());
    const aspect = Math.exp(lr0 + (lr1 - lr0) * rng.float());
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= W && h > 0 && h <= H) return [rng.int(H - h + 1), rng.int(W - w + 1), h, w];
  }
  const r = W / H;
  let w: number, h: number;
  if (r < ratio[0]) [w, h] = [W, Math.round(W / ratio[0])];
  else if (r > ratio[1]) [h, w] = [H, Math.round(H * ratio[1])];
  else [w, h] = [W, H];
  return [Math.floor((H - h) / 2), Math.floor((W - w) / 2), h, w];
}

/** Per-sample random crops resized to `size` by tf.image.cropAndResize (bilinear). */
export const randomResizedCrop: TransformFactory<RandomResizedCropOptions> = {
  id: 'random-resized-crop',
  description: 'Random area/aspect crop per sample, resized (torchvision RandomResizedCrop parameters)',
  options: randomResizedCropOptions,
  create(o) {
    const out = (shape: readonly number[]): [number, number] => o.size ?? [shape[0], shape[1]];
    return {
      id: 'random-resized-crop',
      outputShape: (shape) => [...out(shape), shape[2]],
      apply(x, rng) {
        const [B, H, W] = x.shape;
        const [oh, ow] = out(x.shape.slice(1));
        const boxes = Array.from({ length: B }, () => {
          const [t, l, h, w] = drawResizedCrop(rng, H, W, o.scale, o.ratio);
          return pixelBox(t, l, h, w, H, W, oh, ow);
        });
        return cropBoxes(x, boxes, [oh, ow]);
      },
    };
  },
};
