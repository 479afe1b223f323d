import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError, ShapeError, tf, type Augmentation, type AugmentationFactory, type Rng } from '@clusterflow/core';
import type { Transform } from './transform.js';
import { transformFactory, transformSpec, type TransformSpecInput } from './transforms.js';

export const multiViewOptions = z
  .object({
    views: z.number().int().positive().default(2).describe('number of views per batch (2 for SimCLR-style objectives)'),
    transforms: z
      .array(transformSpec)
      .optional()
      .describe('transforms applied in order to every view; default: a preset for the channel count (see presetTransforms)'),
  })
  .strict();

export type MultiViewOptions = z.infer<typeof multiViewOptions>;

/**
 * Default pipelines. Colour (3 channels, CIFAR-sized or larger): SimCLR's recipe
 * without blur, as usual for 32x32 images. Gray (1 channel, MNIST-sized): the same
 * minus the colour-only parts: a random resized crop of 20-100% of the area, flip,
 * and brightness/contrast jitter. Measured on the Fashion-MNIST 10k split (CC, MLP,
 * Adam 3e-4): after 15 epochs ACC 0.455 with a mild pipeline (pad-crop by 2, flip,
 * affine, noise, erasing) against 0.616 with crops of 30-100%; with 20-100%, 0.667
 * after 30 epochs. Crops are the view change that matters, as in SimCLR.
 */
export function presetTransforms(channels: number): TransformSpecInput[] {
  if (channels === 3) {
    return [
      { id: 'random-resized-crop', scale: [0.2, 1] },
      { id: 'flip' },
      { id: 'color-jitter', brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 },
      { id: 'grayscale', p: 0.2 },
    ];
  }
  return [
    { id: 'random-resized-crop', scale: [0.2, 1] },
    { id: 'flip' },
    { id: 'color-jitter', brightness: 0.4, contrast: 0.4, saturation: 0, hue: 0, p: 0.8 },
  ];
}

/** A pipeline of transforms run once per view, each view with its own draws from rng. */
export function multiView(options: z.input<typeof multiViewOptions>, sampleShape: readonly number[]): Augmentation {
  const o = multiViewOptions.parse(options);
  if (sampleShape.length !== 3) {
    throw new ConfigError(`augmentation 'multi-view' needs image samples [H, W, C], got [${sampleShape}] (use 'identity' for vectors)`);
  }
  const specs = o.transforms ?? z.array(transformSpec).parse(presetTransforms(sampleShape[2]));
  const transforms: Transform[] = specs.map((s) => transformFactory(s.id).create(s, sampleShape));
  const outputShape = (shape: readonly number[]) => transforms.reduce<number[]>((s, t) => t.outputShape(s), [...shape]);
  return {
    id: 'multi-view',
    numViews: o.views,
    outputShape,
    views(x: tfc.Tensor, rng: Rng): tfc.Tensor[] {
      if (x.rank !== 4 || x.shape.slice(1).some((d, i) => d !== sampleShape[i])) {
        throw new ShapeError(`multi-view: expected a batch [B, ${sampleShape}], got [${x.shape}]`);
      }
      const views: tfc.Tensor[] = [];
      for (let v = 0; v < o.views; v++) {
        views.push(
          tf.tidy(() => {
            const y = transforms.reduce((acc, t) => t.apply(acc, rng), x as tfc.Tensor4D);
            // Views are owned by the caller: never hand back `x` itself.
            return y === x ? tf.clone(x) : y;
          }),
        );
      }
      return views;
    },
  };
}

export const multiViewAugmentation: AugmentationFactory<MultiViewOptions> = {
  id: 'multi-view',
  description: 'N views of an image batch, each through the same list of random transforms (own draws per view)',
  options: multiViewOptions,
  create(options, ctx) {
    return multiView(options, ctx.sampleShape);
  },
};
