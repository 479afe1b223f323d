import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { tf, type Rng } from '@clusterflow/core';
import { defineTransform } from './define.js';
import { cropBoxes, pixelBox } from './ops.js';

/** A crop box in pixels: [top, left, height, width]. */
export type CropBox = [number, number, number, number];

/** Python's round(): halves go to the even neighbour (round(12.5) = 12), as torchvision's int(round(...)) does. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 tries for an integer crop
 * with area in `scale` and log-uniform aspect ratio in `ratio`, else a centre crop
 * with the ratio clamped into range. Returns [top, left, height, width].
 */
export function drawResizedCrop(rng: Rng, H: number, W: number, scale: [number, number], ratio: [number, number]): CropBox {
  const area = H * W;
  const [lr0, lr1] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let t = 0; t < 10; t++) {
    const target = area * (scale[0] + (scale[1] - scale[0]) * rng.float());
    const aspect = Math.exp(lr0 + (lr1 - lr0) * rng.float());
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= W && h > 0 && h <= H) return [rng.int(H - h + 1), rng.int(W - w + 1), h, w];
  }
  const r = W / H;
  const [rmin, rmax] = [Math.min(...ratio), Math.max(...ratio)];
  let w: number, h: number;
  if (r < rmin) [w, h] = [W, roundHalfEven(W / rmin)];
  else if (r > rmax) [h, w] = [H, roundHalfEven(H * rmax)];
  else [w, h] = [W, H];
  return [Math.floor((H - h) / 2), Math.floor((W - w) / 2), h, w];
}

/**
 * PIL's BILINEAR resampling weights (Resample.c, precompute_coeffs) from the
 * `len` pixels at `start` of an axis of `inSize` pixels to `out` pixels, as a dense
 * [out, inSize] row-major matrix. Output pixel i samples at (i + 0.5) * len / out
 * in the crop; the triangle filter is stretched by len / out when shrinking
 * (antialias), and taps outside the crop are dropped and the rest renormalised,
 * which clamps at the crop's edges (PIL resizes the cropped image).
 */
export function pilBilinearWeights(start: number, len: number, inSize: number, out: number): Float64Array {
  const m = new Float64Array(out * inSize);
  const scale = len / out;
  const filterscale = Math.max(scale, 1);
  const support = filterscale; // the bilinear filter's support is 1
  for (let i = 0; i < out; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(len, Math.trunc(center + support + 0.5));
    let sum = 0;
    const k: number[] = [];
    for (let x = xmin; x < xmax; x++) {
      const w = Math.max(0, 1 - Math.abs((x - center + 0.5) / filterscale));
      k.push(w);
      sum += w;
    }
    for (let x = xmin; x < xmax; x++) m[i * inSize + start + x] = sum !== 0 ? k[x - xmin] / sum : k[x - xmin];
  }
  return m;
}

/**
 * torchvision resized_crop on PIL images, per sample: each box of x [B, H, W, C]
 * cropped and resized to `size` with PIL's BILINEAR weights, as two batched matrix
 * products (rows, then columns). In float: PIL rounds to uint8 after each pass.
 */
export function resizedCrop(x: tfc.Tensor4D, boxes: readonly CropBox[], size: [number, number]): tfc.Tensor4D {
  const [B, H, W, C] = x.shape;
  const [oh, ow] = size;
  if (boxes.length !== B) throw new Error(`resizedCrop: ${boxes.length} boxes for a batch of ${B}`);
  const ry = new Float32Array(B * oh * H);
  const rx = new Float32Array(B * ow * W);
  boxes.forEach(([t, l, h, w], b) => {
    if (t < 0 || l < 0 || h < 1 || w < 1 || t + h > H || l + w > W) throw new Error(`resizedCrop: box [${t}, ${l}, ${h}, ${w}] outside a ${H}x${W} image`);
    ry.set(pilBilinearWeights(t, h, H, oh), b * oh * H);
    rx.set(pilBilinearWeights(l, w, W, ow), b * ow * W);
  });
  return tf.tidy(() => {
    const rows = tf.matMul(tf.tensor3d(ry, [B, oh, H]), tf.reshape(x, [B, H, W * C]) as tfc.Tensor3D); // [B, oh, W*C]
    const byCol = C === 1 ? tf.reshape(rows, [B, oh, W]) : tf.reshape(tf.transpose(tf.reshape(rows, [B, oh, W, C]), [0, 1, 3, 2]), [B, oh * C, W]);
    const cols = tf.matMul(byCol as tfc.Tensor3D, tf.tensor3d(rx, [B, ow, W]), false, true); // [B, oh*C, ow]
    return (C === 1 ? tf.reshape(cols, [B, oh, ow, 1]) : tf.transpose(tf.reshape(cols, [B, oh, C, ow]), [0, 1, 3, 2])) as tfc.Tensor4D;
  });
}

/** Per-sample random crops resized to `size` (torchvision RandomResizedCrop on PIL images). */
export const randomResizedCrop = defineTransform({
  id: 'random-resized-crop',
  description: 'Random area/aspect crop per sample, resized (torchvision RandomResizedCrop: parameters and PIL bilinear sampling)',
  options: {
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional().describe('[H, W] output; default the input size'),
    scale: z.tuple([z.number().positive(), z.number().positive()]).default([0.08, 1]).describe('crop area as a fraction of the image'),
    ratio: z
      .tuple([z.number().positive(), z.number().positive()])
      .default([3 / 4, 4 / 3])
      .describe('crop aspect ratio w/h range'),
    sampling: z
      .enum(['pil', 'align-corners'])
      .default('pil')
      .describe(
        "'pil': torchvision's resized_crop on a PIL image (BILINEAR, half-pixel centres, edges clamped to the crop, antialiased when shrinking); 'align-corners': the sampling of runs before issue 29 (an enlarged crop spread from its first to its last pixel)",
      ),
  },
  outputShape: (s, o) => [...(o.size ?? [s[0], s[1]]), s[2]],
  create: (o) => (x, rng) => {
    const [B, H, W] = x.shape;
    const [oh, ow] = o.size ?? [H, W];
    const boxes = Array.from({ length: B }, () => drawResizedCrop(rng, H, W, o.scale, o.ratio));
    if (o.sampling === 'pil') return resizedCrop(x, boxes, [oh, ow]);
    return cropBoxes(
      x,
      boxes.map(([t, l, h, w]) => pixelBox(t, l, h, w, H, W, oh, ow)),
      [oh, ow],
    );
  },
});

export type RandomResizedCropOptions = z.infer<typeof randomResizedCrop.options>;
