import type { TransformFactory } from '@clusterflow/core';
import { affine } from './affine.js';
import { colorJitter } from './color-jitter.js';
import { cutout } from './cutout.js';
import { flip } from './flip.js';
import { gaussianBlurTransform } from './gaussian-blur.js';
import { gaussianNoise } from './gaussian-noise.js';
import { grayscale } from './grayscale.js';
import { randomCrop } from './random-crop.js';
import { randAugment } from './rand-augment.js';
import { randomErasing } from './random-erasing.js';
import { randomResizedCrop } from './random-resized-crop.js';

/** The transforms this package registers; a pipeline names them (or a plugin's) by id. */
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
  randAugment,
  cutout,
];
