/**
 * Shape arithmetic shared by the conv gradient kernels: the padding a forward
 * conv used, and the "pad or crop" that lines a tensor up with a window.
 */
import { tf } from '../backend/tfjs.js';
import type { Tensor, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core';

/** The explicit padding of a forward conv, as tfjs-core computed it. */
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** A window's geometry as the addon's conv and pool kernels take it, in this order. */
export type WindowDims = [number, number, number, number, number, number, number, number, number, number, number, number];

/** Batch, input height/width/channels, window, strides, top/left padding and output height/width of a conv or pool. */
export function windowDims(g: Conv2DInfo): WindowDims {
  return [
    g.batchSize,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.padInfo.top,
    g.padInfo.left,
    g.outHeight,
    g.outWidth,
  ];
}

export function padsOf(info: Conv2DInfo): Pads {
  const { top, bottom, left, right } = info.padInfo;
  return { top, bottom, left, right };
}

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of
 * an NHWC tensor. Gradient formulas need both: padding where the forward window
 * hung over the edge, cropping rows the forward conv never reached.
 */
export function padOrCrop(x: Tensor4D, top: number, bottom: number, left: number, right: number): Tensor4D {
  return tf.tidy(() => {
    let y = x;
    const [, h, w] = y.shape;
    const cropTop = Math.max(0, -top),
      cropBottom = Math.max(0, -bottom);
    const cropLeft = Math.max(0, -left),
      cropRight = Math.max(0, -right);
    if (cropTop + cropBottom + cropLeft + cropRight > 0) {
      y = tf.slice(y, [0, cropTop, cropLeft, 0], [-1, h - cropTop - cropBottom, w - cropLeft - cropRight, -1]);
    }
    const padT = Math.max(0, top),
      padB = Math.max(0, bottom),
      padL = Math.max(0, left),
      padR = Math.max(0, right);
    if (padT + padB + padL + padR > 0) {
      y = tf.pad(y, [
        [0, 0],
        [padT, padB],
        [padL, padR],
        [0, 0],
      ]);
    }
    return y;
  });
}

/**
 * Spreads an NHWC tensor out by `stride` along H and W, putting stride-1 zeros
 * between neighbours (a strided conv's output seen at input resolution). Built
 * from reshape + pad so it runs as two cheap kernels on any backend.
 */
export function dilateSpatial(x: Tensor4D, sh: number, sw: number): Tensor4D {
  if (sh === 1 && sw === 1) return x.clone() as Tensor4D;
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const spread = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    const full = tf.reshape(spread, [n, h * sh, w * sw, c]) as Tensor4D;
    return tf.slice(full, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
  });
}

/**
 * Turns a forward conv's output gradient into the input of a stride-1 "full"
 * correlation whose output has the input's spatial size: dilate by the stride,
 * then pad by (effective filter - 1 - forward pad) on the leading side and
 * whatever makes the size come out right on the trailing side.
 */
export function fullCorrelationInput(
  dy: Tensor4D,
  inHeight: number,
  inWidth: number,
  effFilterHeight: number,
  effFilterWidth: number,
  strides: [number, number],
  pads: Pads,
): Tensor4D {
  return tf.tidy(() => {
    const d = dilateSpatial(dy, strides[0], strides[1]);
    const top = effFilterHeight - 1 - pads.top;
    const left = effFilterWidth - 1 - pads.left;
    const bottom = inHeight + effFilterHeight - 1 - (d.shape[1] + top);
    const right = inWidth + effFilterWidth - 1 - (d.shape[2] + left);
    return padOrCrop(d, top, bottom, left, right);
  });
}

/**
 * Kernels written with ops need real Tensors. The engine hands registered
 * kernels the caller's Tensors, so this only guards against a backend calling
 * one of ours with a bare TensorInfo.
 */
export function asTensor<T extends Tensor>(info: TensorInfo, kernel: string): T {
  if (info instanceof tf.Tensor) return info as T;
  throw new Error(`${kernel}: expected a Tensor input, got a bare TensorInfo`);
}
