import { z } from 'zod';
import { tf, type TransformFactory } from '@clusterflow/core';
import { cropBoxes, pixelBox } from './ops.js';

export const randomCropOptions = z
  .object({
    padding: z.number().int().min(0).default(4).describe('pixels of constant fill added on every side before cropping'),
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional().describe('[H, W] crop; default the input size'),
    fill: z.number().default(0).describe('value of the padding'),
  })
  .strict();

export type RandomCropOptions = z.infer<typeof randomCropOptions>;

/**
 * Pad-and-crop (the CIFAR/MNIST standard). The per-sample integer offsets become
 * cropAndResize boxes spanning exactly `size` pixels, so no resampling happens.
 */
export const randomCrop: TransformFactory<RandomCropOptions> = {
  id: 'random-crop',
  description: 'Pads by `padding` pixels and crops a random window per sample',
  options: randomCropOptions,
  create(o) {
    const out = (shape: readonly number[]): [number, number] => o.size ?? [shape[0], shape[1]];
    return {
      id: 'random-crop',
      outputShape: (s) => [...out(s), s[2]],
      apply(x, rng) {
        const [B, H, W] = x.shape;
        const [oh, ow] = out(x.shape.slice(1));
        const [Hp, Wp] = [H + 2 * o.padding, W + 2 * o.padding];
        if (oh > Hp || ow > Wp) throw new RangeError(`random-crop: ${oh}x${ow} does not fit in the padded ${Hp}x${Wp}`);
        const p = o.padding;
        const padded = p > 0 ? tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], o.fill) : x;
        const boxes = Array.from({ length: B }, () => pixelBox(rng.int(Hp - oh + 1), rng.int(Wp - ow + 1), oh, ow, Hp, Wp, oh, ow));
        return cropBoxes(padded, boxes, [oh, ow]);
      },
    };
  },
};
