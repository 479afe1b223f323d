/**
 * Conv2D and its two gradients on the wasm backend through the optional
 * @clusterflow/native addon: patch-matrix products with OpenBLAS, in place in
 * the wasm heap. wasm runs these as single-threaded XNNPACK convolutions (~10
 * GFLOP/s at the ConvNet's sizes).
 *
 *   forward:     y[M,CO]      = patches(x)[M,K] @ w[K,CO]
 *   filter grad: dw[K,CO]     = patches(x)^T    @ dy[M,CO]
 *   input grad:  dx           = the adjoint of patches, applied to dy[M,CO] @ w^T
 * with M = N*OH*OW and K = KH*KW*CI: NHWC tensors and [KH,KW,CI,CO] filters are
 * already these matrices. The addon builds the patches a block of rows at a
 * time in each thread's own cache-sized buffer and multiplies it right away
 * (conv.c), so the patch matrix never exists whole: building it whole first,
 * then one 2-thread product, made the ConvNet's step 1.3-1.5x and ResNet-18's
 * 1.1-1.15x slower (paired steps in one process, 2026-11-27). Anything else
 * (NCHW, dilation, other dtypes, tiny convs) goes to the wrapped kernel.
 *
 * Where the addon was built with oneDNN (libdnnl-dev), the same three calls run
 * on oneDNN's JIT convolutions instead, inside the addon (dnnl_conv.c), with
 * the patch path as its fallback; the addon's `convolutions` line says which.
 */
import { tf } from '../backend/tfjs.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { ConvCall } from '@clusterflow/native';
import { windowDims, type WindowDims } from './conv_geometry.js';
import { float32Views, heapBackend, type WasmHeapBackend } from './wasm-heap.js';

/** What the conv kernels need of the addon. */
export interface NativeConvOps {
  conv2d: ConvCall;
  conv2dFilterGrad: ConvCall;
  conv2dInputGrad: ConvCall;
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

/** Below this many multiply-adds the wrapped kernel is as fast (and the patch copy is not worth it). */
const MIN_CONV_WORK = 1 << 18;

/** Stats for tests and benches: convs done natively. */
export const nativeConvStats = { calls: 0 };

type Geometry = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** The conv's geometry if the native path takes it, else undefined. */
function geometry(xShape: number[], filterShape: number[], attrs: ConvAttrs, dtypes: string[]): Geometry | undefined {
  if (attrs.dataFormat === 'NCHW' || dtypes.some((d) => d !== 'float32')) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const work = info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * info.inChannels * info.outChannels;
  return work >= MIN_CONV_WORK ? info : undefined;
}

/** The geometry as the addon's arguments after the three arrays. */
function dims(g: Geometry): [...WindowDims, number] {
  return [...windowDims(g), g.outChannels];
}

/** Allocates the output, then runs `call` on views of (a, b, out): views only after the allocation, which can grow (and detach) the heap. */
function run(backend: WasmHeapBackend, call: ConvCall, a: TensorInfo, b: TensorInfo, outShape: number[], g: Geometry): TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  const v = float32Views(backend);
  call(v(a), v(b), v(out), ...dims(g));
  nativeConvStats.calls++;
  return out;
}

export function nativeConv2D(inner: KernelFunc, ops: NativeConvOps): KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const backend = heapBackend(args.backend);
    const g = backend && geometry(x.shape, filter.shape, args.attrs as unknown as ConvAttrs, [x.dtype, filter.dtype]);
    return backend && g ? run(backend, ops.conv2d, x, filter, g.outShape, g) : inner(args);
  };
}

export function nativeConv2DBackpropFilter(inner: KernelFunc, ops: NativeConvOps): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = heapBackend(args.backend);
    const g = backend && attrs.filterShape && geometry(x.shape, attrs.filterShape, attrs, [x.dtype, dy.dtype]);
    return backend && g ? run(backend, ops.conv2dFilterGrad, x, dy, attrs.filterShape!, g) : inner(args);
  };
}

export function nativeConv2DBackpropInput(inner: KernelFunc, ops: NativeConvOps): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = heapBackend(args.backend);
    const g = backend && attrs.inputShape && geometry(attrs.inputShape, filter.shape, attrs, [dy.dtype, filter.dtype]);
    return backend && g ? run(backend, ops.conv2dInputGrad, dy, filter, attrs.inputShape!, g) : inner(args);
  };
}
