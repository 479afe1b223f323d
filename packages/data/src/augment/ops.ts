import type * as tfc from '@tensorflow/tfjs-core';
import { tf, type Rng } from '@clusterflow/core';

/**
 * Small helpers shared by the transforms: per-sample coin flips and parameters
 * drawn on the host, and their upload as [B, 1, 1, 1] tensors that broadcast
 * over the image.
 */

/** B coin flips with probability p, from rng (always B draws, so the stream does not depend on p). */
export function coins(rng: Rng, b: number, p: number): boolean[] {
  return Array.from({ length: b }, () => rng.float() < p);
}

/** Uniform in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.float();
}

/** Per-sample scalars as a [B, 1, 1, 1] float32 tensor. */
export function perSample(values: ArrayLike<number>): tfc.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);
}

/**
 * `a` where m is 1 and `b` where m is 0, as a * m + b * (1 - m): exact for finite
 * values. Masks are applied this way rather than by tf.where, whose broadcast of a
 * smaller condition takes a slow path on wasm (20 ms for a 256 x 28 x 28 batch
 * against 1 ms).
 */
export function blend(m: tfc.Tensor, a: tfc.Tensor | number, b: tfc.Tensor): tfc.Tensor4D {
  return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m))) as tfc.Tensor4D;
}

/** Per-sample choice: `a` where mask[b], else `b`. */
export function select(mask: boolean[], a: tfc.Tensor, b: tfc.Tensor): tfc.Tensor4D {
  return blend(perSample(mask.map(Number)), a, b);
}

/**
 * 1 inside each sample's rectangle [top, bottom) x [left, right), 0 elsewhere, as
 * [B, H, W, 1] float32 built from index comparisons, so no pixel is touched in
 * JavaScript (random erasing and cutout blend their fill through it).
 */
export function rectMask(H: number, W: number, rects: readonly (readonly [number, number, number, number])[]): tfc.Tensor4D {
  const rows = tf.reshape(tf.range(0, H, 1, 'float32'), [1, H, 1, 1]);
  const cols = tf.reshape(tf.range(0, W, 1, 'float32'), [1, 1, W, 1]);
  const edge = (k: number) => perSample(rects.map((r) => r[k]));
  const inRows = tf.cast(tf.logicalAnd(tf.greaterEqual(rows, edge(0)), tf.less(rows, edge(2))), 'float32');
  const inCols = tf.cast(tf.logicalAnd(tf.greaterEqual(cols, edge(1)), tf.less(cols, edge(3))), 'float32');
  return tf.mul(inRows, inCols) as tfc.Tensor4D;
}

/** ITU-R 601 luma (as torchvision's rgb_to_grayscale): [B, H, W, 3] -> [B, H, W, 1]. */
export function luma(x: tfc.Tensor4D): tfc.Tensor4D {
  if (x.shape[3] === 1) return x;
  return tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tfc.Tensor4D;
}

export function clip01<T extends tfc.Tensor>(x: T): T {
  return tf.clipByValue(x, 0, 1);
}

/**
 * cropAndResize boxes for pixel rectangles (top, left, height, width). When a side
 * shrinks (or keeps its size) samples sit at half-pixel centres, as a bilinear
 * resize of the crop would place them (torchvision without antialias), and a
 * full-image box at the input size is the identity. When a side grows, half-pixel
 * centres would fall outside the crop, where cropAndResize reads the neighbours or,
 * at the image border, its zero extrapolation value; the samples are then spread
 * from the first to the last pixel of the crop (align_corners=True) instead.
 */
export function pixelBox(top: number, left: number, h: number, w: number, H: number, W: number, outH: number, outW: number): [number, number, number, number] {
  const norm = (v: number, n: number) => (n > 1 ? v / (n - 1) : 0.5);
  const side = (start: number, len: number, out: number): [number, number] =>
    len >= out ? [start + (0.5 * len) / out - 0.5, start + len - (0.5 * len) / out - 0.5] : [start, start + len - 1];
  const [y1, y2] = side(top, h, outH);
  const [x1, x2] = side(left, w, outW);
  return [norm(y1, H), norm(x1, W), norm(y2, H), norm(x2, W)];
}

/**
 * cropAndResize with one box per sample. Samples that fall outside the image read
 * `fill`; a box with x1 > x2 reads its crop mirrored left-right.
 */
export function cropBoxes(x: tfc.Tensor4D, boxes: number[][], size: [number, number], fill = 0): tfc.Tensor4D {
  const b = x.shape[0];
  return tf.image.cropAndResize(
    x,
    tf.tensor2d(boxes.flat(), [b, 4]),
    tf.tensor1d(
      Int32Array.from({ length: b }, (_, i) => i),
      'int32',
    ),
    size,
    'bilinear',
    fill,
  );
}
