import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError, tf } from '@clusterflow/core';
import { defineTransform } from './define.js';
import { coins, uniform } from './ops.js';

/** torchvision's 1-D kernel: exp(-x^2 / 2 sigma^2) on x = -k/2..k/2, normalised; sigma 0 is a delta. */
export function gaussianKernel1d(size: number, sigma: number): Float32Array {
  const k = new Float32Array(size);
  const half = (size - 1) / 2;
  if (sigma <= 0) {
    k[Math.floor(half)] = 1;
    return k;
  }
  let sum = 0;
  for (let i = 0; i < size; i++) sum += k[i] = Math.exp(-0.5 * ((i - half) / sigma) ** 2);
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

/**
 * Separable Gaussian blur with one sigma per sample, reflect-padded (as
 * torchvision). The batch is folded into the channels ([1, H, W, B*C]) so that a
 * depthwise convolution applies each sample's own kernel in one op per axis.
 */
export function gaussianBlur(x: tfc.Tensor4D, sigmas: ArrayLike<number>, kernelSize: number): tfc.Tensor4D {
  const [B, H, W, C] = x.shape;
  // Reflect padding needs pad < side; a kernel wider than the image is cut down.
  const k = Math.min(kernelSize, 2 * Math.min(H, W) - 1) | 1;
  const r = (k - 1) / 2;
  const taps = new Float32Array(k * B * C);
  for (let b = 0; b < B; b++) {
    const g = gaussianKernel1d(k, sigmas[b]);
    for (let i = 0; i < k; i++) for (let c = 0; c < C; c++) taps[i * B * C + b * C + c] = g[i];
  }
  const folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, H, W, B * C]) as tfc.Tensor4D;
  const padded = tf.mirrorPad(
    folded,
    [
      [0, 0],
      [r, r],
      [r, r],
      [0, 0],
    ],
    'reflect',
  );
  const horiz = tf.depthwiseConv2d(padded, tf.tensor4d(taps, [1, k, B * C, 1]), 1, 'valid');
  const both = tf.depthwiseConv2d(horiz, tf.tensor4d(taps, [k, 1, B * C, 1]), 1, 'valid');
  return tf.transpose(tf.reshape(both, [H, W, B, C]), [2, 0, 1, 3]) as tfc.Tensor4D;
}

/** Default kernel: about a tenth of the shorter side, odd, at least 3 (SimCLR uses 10%). */
export function defaultKernelSize(h: number, w: number): number {
  return Math.max(3, Math.round(0.1 * Math.min(h, w)) | 1);
}

export const gaussianBlurTransform = defineTransform({
  id: 'gaussian-blur',
  description: 'Gaussian blur with a per-sample sigma, applied with probability p',
  options: {
    kernelSize: z.number().int().positive().optional().describe('odd kernel width; default about 10% of the image side, odd, at least 3'),
    sigma: z.tuple([z.number().positive(), z.number().positive()]).default([0.1, 2]).describe('sigma drawn per sample from this range'),
    p: z.number().min(0).max(1).default(0.5).describe('probability that a sample is blurred'),
  },
  create(o) {
    if (o.kernelSize !== undefined && o.kernelSize % 2 === 0) {
      throw new ConfigError(`transform 'gaussian-blur': kernelSize must be odd, got ${o.kernelSize}`);
    }
    return (x, rng) => {
      const sigmas = coins(rng, x.shape[0], o.p).map((a) => (a ? uniform(rng, o.sigma[0], o.sigma[1]) : 0));
      return gaussianBlur(x, sigmas, o.kernelSize ?? defaultKernelSize(x.shape[1], x.shape[2]));
    };
  },
});

export type GaussianBlurOptions = z.infer<typeof gaussianBlurTransform.options>;
