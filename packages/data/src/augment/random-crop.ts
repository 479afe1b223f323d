import { z } from 'zod';
import { tf } from '@clusterflow/core';
import { defineTransform } from './define.js';
import { cropBoxes, pixelBox } from './ops.js';

/**
 * Pad-and-crop (the CIFAR/MNIST standard). The per-sample integer offsets become
 * cropAndResize boxes spanning exactly `size` pixels, so no resampling happens.
 */
export const randomCrop = defineTransform({
  id: 'random-crop',
  description: 'Pads by `padding` pixels and crops a random window per sample',
  options: {
    padding: z.number().int().min(0).default(4).describe('pixels of constant fill added on every side before cropping'),
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional().describe('[H, W] crop; default the input size'),
    fill: z.number().default(0).describe('value of the padding'),
  },
  outputShape: (s, o) => [...(o.size ?? [s[0], s[1]]), s[2]],
  create: (o) => (x, rng) => {
    const [B, H, W] = x.shape;
    const [oh, ow] = o.size ?? [H, W];
    const [Hp, Wp] = [H + 2 * o.padding, W + 2 * o.padding];
    if (oh > Hp || ow > Wp) throw new RangeError(`random-crop: ${oh}x${ow} does not fit in the padded ${Hp}x${Wp}`);
    const p = o.padding;
    const padded =
      p > 0
        ? tf.pad(
            x,
            [
              [0, 0],
              [p, p],
              [p, p],
              [0, 0],
            ],
            o.fill,
          )
        : x;
    const boxes = Array.from({ length: B }, () => pixelBox(rng.int(Hp - oh + 1), rng.int(Wp - ow + 1), oh, ow, Hp, Wp, oh, ow));
    return cropBoxes(padded, boxes, [oh, ow]);
  },
});

export type RandomCropOptions = z.infer<typeof randomCrop.options>;
