/**
 * Conv2DBackpropFilter for backends that lack it (wasm in TF.js 4.22, where any
 * conv training step fails without it). Built from kernels wasm runs natively,
 * so the heavy part is one XNNPACK GEMM or conv.
 */
import { tf } from '../backend/tfjs.js';
import type { Tensor4D, TensorInfo } from '@tensorflow/tfjs-core';
import { asTensor, padOrCrop, padsOf } from './conv_geometry.js';

/** What the kernel needs from Conv2DBackpropFilter's attrs. */
export interface FilterGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** Which way to compute it; `conv` and `im2col` are kept side by side so the bench can compare them. */
export type FilterGradMethod = 'conv' | 'im2col';

/**
 * dW[kh,kw,ci,co] = sum over n,oh,ow of xpad[n, oh*sh+kh, ow*sw+kw, ci] * dy[n,oh,ow,co].
 *
 * `conv`: the same sum is a stride-1 convolution with the roles swapped:
 * channels become the batch, the batch becomes the channels, dy is the filter
 * (dilated by the forward stride). One XNNPACK conv, two cheap transposes.
 *
 * `im2col`: gather the KH*KW shifted (strided) views of x, concatenate them as
 * patches [M, KH*KW*CI] and multiply by dy [M, CO], transposing explicitly
 * (wasm's matmul with a transpose flag takes a slow path).
 */
export function conv2dBackpropFilter(x: Tensor4D, dy: Tensor4D, attrs: FilterGradAttrs, method: FilterGradMethod = 'conv'): Tensor4D {
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const pads = padsOf(info);
  return tf.tidy(() => {
    // Only rows/cols some window touches: x padded by the forward pads, then
    // cropped to exactly (out-1)*stride + filter.
    const needH = (oh - 1) * sh + kh,
      needW = (ow - 1) * sw + kw;
    const hp = x.shape[1] + pads.top + pads.bottom,
      wp = x.shape[2] + pads.left + pads.right;
    const xp = padOrCrop(x, pads.top, pads.bottom - (hp - needH), pads.left, pads.right - (wp - needW));
    return method === 'conv' ? viaConv(xp, dy, kh, kw, sh, sw) : viaIm2col(xp, dy, kh, kw, sh, sw);
  });
}

function viaConv(xp: Tensor4D, dy: Tensor4D, kh: number, kw: number, sh: number, sw: number): Tensor4D {
  const xT = tf.transpose(xp, [3, 1, 2, 0]); // [CI, H', W', N]
  const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, CO]
  const r = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [sh, sw]); // [CI, KH, KW, CO]
  if (r.shape[1] !== kh || r.shape[2] !== kw) throw new Error('Conv2DBackpropFilter: internal shape mismatch');
  return tf.transpose(r, [1, 2, 0, 3]);
}

function viaIm2col(xp: Tensor4D, dy: Tensor4D, kh: number, kw: number, sh: number, sw: number): Tensor4D {
  const [n, oh, ow, co] = dy.shape;
  const ci = xp.shape[3];
  const views: Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      views.push(
        sh === 1 && sw === 1
          ? tf.slice(xp, [0, i, j, 0], [n, oh, ow, ci])
          : (tf.stridedSlice(xp, [0, i, j, 0], [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, ci], [1, sh, sw, 1]) as Tensor4D),
      );
    }
  }
  const m = n * oh * ow,
    k = kh * kw * ci;
  const patches = tf.reshape(views.length === 1 ? views[0] : tf.concat(views, 3), [m, k]);
  const dy2 = tf.reshape(dy, [m, co]);
  // Transpose whichever operand is smaller, so the explicit transpose moves the fewest bytes.
  const grad = k <= co ? tf.matMul(tf.transpose(patches), dy2) : tf.transpose(tf.matMul(tf.transpose(dy2), patches));
  return tf.reshape(grad, [kh, kw, ci, co]);
}

/** The kernel as registered: inputs {x, dy}, attrs as tfjs-core's conv2d gradient passes them. */
export function conv2dBackpropFilterKernel(args: { inputs: { x: TensorInfo; dy: TensorInfo }; attrs: unknown }): TensorInfo {
  const { x, dy } = args.inputs;
  const k = 'Conv2DBackpropFilter';
  return conv2dBackpropFilter(asTensor<Tensor4D>(x, k), asTensor<Tensor4D>(dy, k), args.attrs as FilterGradAttrs);
}
