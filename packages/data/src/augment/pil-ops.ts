import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { clip01, perSample } from './ops.js';

/**
 * PIL's ImageOps and ImageEnhance operations that RandAugment draws from, on a
 * batch [B, H, W, C] in [0, 1] with one parameter per sample. PIL works on
 * uint8 images; these work on floats and skip its rounding to 1/255 steps
 * (test/fixtures/rand-augment-reference.json holds PIL's own outputs).
 */

/**
 * ImageOps.autocontrast (cutoff 0): each channel of each image stretched so that
 * its darkest pixel is 0 and its brightest 1; a flat channel stays as it is.
 */
export function autocontrast(x: tfc.Tensor4D): tfc.Tensor4D {
  const lo = tf.min(x, [1, 2], true);
  const range = tf.sub(tf.max(x, [1, 2], true), lo);
  // flat = 1 for a flat channel: (x - 0) / 1 leaves it alone, without a broadcast tf.where.
  const flat = tf.cast(tf.lessEqual(range, 0), 'float32');
  return clip01(tf.div(tf.sub(x, tf.mul(lo, tf.sub(1, flat))), tf.add(range, flat)));
}

/** ImageOps.solarize: pixels at or above the sample's threshold (in [0, 1]) are inverted. */
export function solarize(x: tfc.Tensor4D, thresholds: ArrayLike<number>): tfc.Tensor4D {
  const above = tf.cast(tf.greaterEqual(x, perSample(thresholds)), 'float32');
  return tf.add(x, tf.mul(above, tf.sub(1, tf.mul(x, 2)))) as tfc.Tensor4D;
}

/** ImageOps.posterize: keeps the top `bits` bits (1..8) of each 8-bit value. */
export function posterize(x: tfc.Tensor4D, bits: ArrayLike<number>): tfc.Tensor4D {
  const step = perSample(Array.from(bits, (b) => 2 ** (8 - b)));
  const levels = tf.round(tf.mul(x, 255));
  return tf.div(tf.mul(tf.floor(tf.div(levels, step)), step), 255) as tfc.Tensor4D;
}

/**
 * ImageEnhance.Sharpness: a blend of the image with its SMOOTH-filtered copy
 * (3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13, border pixels kept), by a factor per
 * sample: 0 gives the smoothed image, 1 the image, above 1 sharpens.
 * Needs H, W >= 3.
 */
export function sharpness(x: tfc.Tensor4D, factors: ArrayLike<number>): tfc.Tensor4D {
  const [, H, W, C] = x.shape;
  const k = tf.div(tf.tensor2d([1, 1, 1, 1, 5, 1, 1, 1, 1], [3, 3]), 13);
  const kernel = tf.tile(tf.reshape(k, [3, 3, 1, 1]), [1, 1, C, 1]) as tfc.Tensor4D;
  const pad: [number, number][] = [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ];
  const inner = tf.pad(tf.depthwiseConv2d(x, kernel, 1, 'valid'), pad);
  const frame = tf.sub(1, tf.pad(tf.ones([1, H - 2, W - 2, 1]), pad));
  const smooth = tf.add(inner, tf.mul(frame, x));
  return clip01(tf.add(smooth, tf.mul(perSample(factors), tf.sub(x, smooth)))) as tfc.Tensor4D;
}
