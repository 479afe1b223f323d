/**
 * The two depthwise-conv gradients wasm lacks in TF.js 4.22
 * (DepthwiseConv2dNativeBackpropFilter/Input), from ops wasm has. Depthwise
 * convs are not in the throughput models, so these favour clarity and bounded
 * memory over speed.
 */
import { tf } from '../backend/tfjs.js';
import type { Tensor3D, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core';
import { asTensor, fullCorrelationInput, padOrCrop, padsOf } from './conv_geometry.js';

/** The attrs tfjs-core's depthwiseConv2d gradient passes to both kernels. */
export interface DepthwiseGradAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dW[kh,kw,c,m] = sum over n,oh,ow of xpad[n, oh*sh + kh*dh, ow*sw + kw*dw, c] * dy[n,oh,ow,c*M+m]:
 * one strided view of x per filter tap, multiplied by dy and summed.
 */
export function depthwiseBackpropFilter(x: Tensor4D, dy: Tensor4D, attrs: DepthwiseGradAttrs & { filterShape: [number, number, number, number] }): Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const [kh, kw, c, mult] = attrs.filterShape;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, outHeight: oh, outWidth: ow } = info;
  const pads = padsOf(info);
  return tf.tidy(() => {
    const n = x.shape[0];
    const xp = padOrCrop(x, pads.top, pads.bottom, pads.left, pads.right);
    const m = n * oh * ow;
    const dyR = tf.reshape(dy, [m, c, mult]);
    const taps: Tensor3D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const r0 = i * dh,
          c0 = j * dw;
        const view = tf.stridedSlice(xp, [0, r0, c0, 0], [n, r0 + (oh - 1) * sh + 1, c0 + (ow - 1) * sw + 1, c], [1, sh, sw, 1]);
        taps.push(tf.sum(tf.mul(tf.reshape(view, [m, c, 1]), dyR), 0).expandDims(0) as Tensor3D);
      }
    }
    return tf.reshape(tf.concat(taps, 0), [kh, kw, c, mult]);
  });
}

/**
 * dx = depthwise correlation of (dy dilated by the stride, padded for a "full"
 * correlation) with the filter rotated 180 degrees, one output per (c, m),
 * then summed over the channel multiplier m.
 */
export function depthwiseBackpropInput(dy: Tensor4D, filter: Tensor4D, attrs: DepthwiseGradAttrs & { inputShape: [number, number, number, number] }): Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const [kh, kw, c, mult] = filter.shape;
  return tf.tidy(() => {
    const src = fullCorrelationInput(
      dy,
      info.inHeight,
      info.inWidth,
      info.effectiveFilterHeight,
      info.effectiveFilterWidth,
      [info.strideHeight, info.strideWidth],
      padsOf(info),
    );
    const rotated = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * mult, 1]) as Tensor4D;
    const perCm = tf.depthwiseConv2d(src, rotated, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
    const [n, h, w] = perCm.shape;
    return mult === 1 ? perCm : tf.sum(tf.reshape(perCm, [n, h, w, c, mult]), 4);
  });
}

export function depthwiseBackpropFilterKernel(args: { inputs: { x: TensorInfo; dy: TensorInfo }; attrs: unknown }): TensorInfo {
  const k = 'DepthwiseConv2dNativeBackpropFilter';
  const { x, dy } = args.inputs;
  return depthwiseBackpropFilter(asTensor<Tensor4D>(x, k), asTensor<Tensor4D>(dy, k), args.attrs as never);
}

export function depthwiseBackpropInputKernel(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; attrs: unknown }): TensorInfo {
  const k = 'DepthwiseConv2dNativeBackpropInput';
  const { dy, filter } = args.inputs;
  return depthwiseBackpropInput(asTensor<Tensor4D>(dy, k), asTensor<Tensor4D>(filter, k), args.attrs as never);
}
