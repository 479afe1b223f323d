import { z } from 'zod';
import { affine, affineOptions } from './affine.js';
import { colorJitter, colorJitterOptions } from './color-jitter.js';
import { flip, flipOptions } from './flip.js';
import { gaussianBlurOptions, gaussianBlurTransform } from './gaussian-blur.js';
import { gaussianNoise, gaussianNoiseOptions } from './gaussian-noise.js';
import { grayscale, grayscaleOptions } from './grayscale.js';
import { randomCrop, randomCropOptions } from './random-crop.js';
import { randomErasing, randomErasingOptions } from './random-erasing.js';
import { randomResizedCrop, randomResizedCropOptions } from './random-resized-crop.js';
import type { TransformFactory } from './transform.js';

/** Every transform a pipeline can name, by id. */
export const TRANSFORMS: readonly TransformFactory[] = [
  randomResizedCrop,
  flip,
  colorJitter,
  grayscale,
  gaussianBlurTransform,
  randomCrop,
  affine,
  gaussianNoise,
  randomErasing,
];

/** One entry of a pipeline's `transforms` list: `{ id, ...options }`, unknown keys rejected. */
export const transformSpec = z.discriminatedUnion('id', [
  randomResizedCropOptions,
  flipOptions,
  colorJitterOptions,
  grayscaleOptions,
  gaussianBlurOptions,
  randomCropOptions,
  affineOptions,
  gaussianNoiseOptions,
  randomErasingOptions,
]);

export type TransformSpec = z.infer<typeof transformSpec>;
/** What a config may write: options with defaults left out. */
export type TransformSpecInput = z.input<typeof transformSpec>;

export function transformFactory(id: string): TransformFactory {
  const f = TRANSFORMS.find((t) => t.id === id);
  if (!f) throw new RangeError(`unknown transform '${id}'; known: ${TRANSFORMS.map((t) => t.id).join(', ')}`);
  return f;
}
