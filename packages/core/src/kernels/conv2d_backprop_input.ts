/**
 * Conv2DBackpropInput as one forward XNNPACK conv. wasm has this kernel, but
 * as a plain loop; the bench decides whether replacing it pays.
 */
import { tf } from '../backend/tfjs.js';
import type { KernelFunc, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core';
import { asTensor, fullCorrelationInput, padsOf } from './conv_geometry.js';

/** What the kernel needs from Conv2DBackpropInput's attrs. */
export interface InputGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * dx = (dy dilated by the stride, padded for a "full" correlation) correlated
 * with the filter rotated 180 degrees and its in/out channels swapped.
 */
export function conv2dBackpropInput(dy: Tensor4D, filter: Tensor4D, attrs: InputGradAttrs): Tensor4D {
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput: only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  return tf.tidy(() => {
    const src = fullCorrelationInput(dy, info.inHeight, info.inWidth, info.filterHeight, info.filterWidth, [info.strideHeight, info.strideWidth], padsOf(info));
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    return tf.conv2d(src, rotated as Tensor4D, 1, 'valid');
  });
}

/**
 * Wraps wasm's stock kernel, a scalar loop that is ~10x slower than the same
 * work as an XNNPACK conv at 32-128 channels (see bench). With very few input
 * channels the conv form's output is too thin for XNNPACK to win, so those
 * stay on the stock kernel.
 */
export function fastConv2dBackpropInput(stock: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as InputGradAttrs;
    if (attrs.dataFormat === 'NCHW' || attrs.inputShape[3] < MIN_CONV_CHANNELS) return stock(args);
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const k = 'Conv2DBackpropInput';
    return conv2dBackpropInput(asTensor<Tensor4D>(dy, k), asTensor<Tensor4D>(filter, k), attrs);
  };
}

/** Below this many input channels the stock loop is as fast (bench: 1 channel, 52 vs 64 ms). */
const MIN_CONV_CHANNELS = 8;
