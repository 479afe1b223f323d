import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  ConfigError,
  ShapeError,
  componentRef,
  tf,
  type Augmentation,
  type AugmentationContext,
  type AugmentationFactory,
  type ComponentRef,
  type Rng,
  type Transform,
} from '@clusterflow/core';

export const multiViewOptions = z
  .object({
    views: z.number().int().positive().default(2).describe('number of views per batch (2 for SimCLR-style objectives)'),
    transforms: z
      .array(componentRef)
      .optional()
      .describe('registered transforms { id, options } applied in order to every view; default: a preset for the channel count (see presetTransforms)'),
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
export function presetTransforms(channels: number): ComponentRef[] {
  if (channels === 3) {
    return [
      { id: 'random-resized-crop', options: { scale: [0.2, 1] } },
      { id: 'flip' },
      { id: 'color-jitter', options: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 } },
      { id: 'grayscale', options: { p: 0.2 } },
    ];
  }
  return [
    { id: 'random-resized-crop', options: { scale: [0.2, 1] } },
    { id: 'flip' },
    { id: 'color-jitter', options: { brightness: 0.4, contrast: 0.4, saturation: 0, hue: 0, p: 0.8 } },
  ];
}

/**
 * A pipeline of registered transforms run once per view, each view with its own
 * draws from rng. Each transform is built for the shape the previous one outputs,
 * so a crop to a new size is followed by transforms that check that size.
 */
export function multiView(options: z.input<typeof multiViewOptions>, ctx: AugmentationContext): Augmentation {
  const o = multiViewOptions.parse(options);
  const { sampleShape } = ctx;
  if (sampleShape.length !== 3) {
    throw new ConfigError(`augmentation 'multi-view' needs image samples [H, W, C], got [${sampleShape}] (use 'identity' for vectors)`);
  }
  const transforms: Transform[] = [];
  let shape: readonly number[] = sampleShape;
  for (const ref of o.transforms ?? presetTransforms(sampleShape[2])) {
    const t = ctx.registry.build('transform', ref, { sampleShape: shape });
    transforms.push(t);
    shape = t.outputShape(shape);
  }
  const outputShape = (s: readonly number[]) => transforms.reduce<number[]>((acc, t) => t.outputShape(acc), [...s]);
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
  description: 'N views of an image batch, each through the same list of registered transforms (own draws per view)',
  options: multiViewOptions,
  create: (options, ctx) => multiView(options, ctx),
  // Transform ids and options are looked up when the config is validated, so a
  // misspelt transform fails before the dataset loads. What depends on the image
  // shape (colour-only transforms on gray images) can only fail in `create`.
  check(options, registry) {
    for (const ref of options.transforms ?? []) registry.options('transform', ref);
  },
};
