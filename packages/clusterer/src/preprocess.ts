import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import type { Preprocessing } from './model-format.js';

/** Pixels as a browser's ImageData or a decoded PNG/JPEG hold them: H x W x channels bytes, row by row. */
export interface PixelImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Values per pixel; default: data.length / (width * height) (4 for ImageData). */
  channels?: number;
}

/**
 * What `predict` and `features` take:
 * - images: one PixelImage or an array of them, or a tensor [H, W, C] / [N, H, W, C] of pixel values 0-255;
 * - vectors: rows (number[][]), one flat Float32Array of N * dim values, or a tensor [N, dim].
 */
export type ClustererInput = PixelImage | PixelImage[] | number[][] | Float32Array | tfc.Tensor;

/** Thrown for input that does not fit the model: the message says what was expected and what came. */
export class InputError extends Error {
  override name = 'InputError';
}

/**
 * The backbone's input for `input`: the run's evaluation preprocessing (pixels
 * scaled, channels converted, bilinear resize). The caller disposes the result;
 * tensors it was given are left alone.
 */
export function preprocess(input: ClustererInput, p: Preprocessing, opts: { scaled?: boolean } = {}): tfc.Tensor {
  // `scaled`: image tensors already in the model's units (a dataset's batches, [0, 1]).
  return tf.tidy(() => (p.input === 'vectors' ? vectors(input, p.dim) : images(input, p.inputShape, opts.scaled ? 1 : p.pixelScale)));
}

function vectors(input: ClustererInput, dim: number): tfc.Tensor2D {
  if (input instanceof tf.Tensor) {
    if (input.rank !== 2 || input.shape[1] !== dim) throw new InputError(`the model takes vectors [N, ${dim}]; got a tensor of shape [${input.shape}]`);
    return tf.cast(input, 'float32') as tfc.Tensor2D;
  }
  if (input instanceof Float32Array) {
    if (input.length % dim !== 0) throw new InputError(`the model takes vectors of ${dim} values; got ${input.length} values, not a whole number of them`);
    return tf.tensor2d(input, [input.length / dim, dim]);
  }
  if (Array.isArray(input) && input.every((r) => Array.isArray(r))) {
    const rows = input as number[][];
    const bad = rows.findIndex((r) => r.length !== dim);
    if (bad >= 0) throw new InputError(`the model takes vectors of ${dim} values; row ${bad} has ${rows[bad].length}`);
    return tf.tensor2d(rows, [rows.length, dim]);
  }
  throw new InputError(`the model takes vectors (rows, a Float32Array or a tensor [N, ${dim}]), not images`);
}

function images(input: ClustererInput, shape: [number, number, number], scale: number): tfc.Tensor4D {
  let x: tfc.Tensor4D;
  if (input instanceof tf.Tensor) {
    if (input.rank === 3) x = tf.expandDims(input, 0) as tfc.Tensor4D;
    else if (input.rank === 4) x = input as tfc.Tensor4D;
    else throw new InputError(`the model takes images [N, H, W, C] or [H, W, C]; got a tensor of shape [${input.shape}]`);
    x = tf.cast(x, 'float32');
  } else {
    const list = Array.isArray(input) ? input : [input];
    if (list.length === 0) throw new InputError('no images given');
    const batch = list.map((img, i) => {
      if (img instanceof Float32Array || Array.isArray(img) || typeof (img as PixelImage).width !== 'number') {
        throw new InputError(`the model takes images; input ${i} is not one (give { data, width, height } or a tensor)`);
      }
      const { data, width, height } = img as PixelImage;
      const c = (img as PixelImage).channels ?? data.length / (width * height);
      if (!Number.isInteger(c) || data.length !== width * height * c)
        throw new InputError(`image ${i}: ${data.length} bytes are not ${width} x ${height} pixels`);
      return tf.tensor3d(Float32Array.from(data), [height, width, c]);
    });
    const sizes = new Set(batch.map((t) => t.shape.slice(0, 2).join('x')));
    // Images of different sizes are resized one by one before stacking.
    x = sizes.size === 1 ? (tf.stack(batch) as tfc.Tensor4D) : (tf.stack(batch.map((t) => tf.image.resizeBilinear(t, [shape[0], shape[1]]))) as tfc.Tensor4D);
  }
  x = channels(tf.mul(x, scale), shape[2]);
  if (x.shape[1] !== shape[0] || x.shape[2] !== shape[1]) x = tf.image.resizeBilinear(x, [shape[0], shape[1]]);
  return x;
}

/** Converts to `want` channels: alpha dropped, RGB to gray by ITU-R 601 luma (PIL's 'L'), gray repeated to RGB. */
function channels(x: tfc.Tensor4D, want: number): tfc.Tensor4D {
  let c = x.shape[3];
  if (c === 4 || c === 2) {
    x = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, c - 1]);
    c -= 1;
  }
  if (c === want) return x;
  if (c === 3 && want === 1) return tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tfc.Tensor4D;
  if (c === 1 && want === 3) return tf.tile(x, [1, 1, 1, 3]);
  throw new InputError(`the model takes images of ${want} channel(s); got ${x.shape[3]}`);
}
