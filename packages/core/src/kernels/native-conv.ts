/**
 * Conv2D and its two gradients on the wasm backend as im2col + OpenBLAS sgemm
 * (the optional @clusterflow/native addon). wasm runs these as single-threaded
 * XNNPACK convolutions (~10 GFLOP/s at the ConvNet's sizes); the patch copy is
 * memory-bound and the product runs at OpenBLAS speed on 2 threads.
 *
 *   forward:     y[M,CO]      = patches(x)[M,K] @ w[K,CO]
 *   filter grad: dw[K,CO]     = patches(x)^T    @ dy[M,CO]
 *   input grad:  dx           = col2im(dy[M,CO] @ w^T)
 * with M = N*OH*OW and K = KH*KW*CI: NHWC tensors and [KH,KW,CI,CO] filters are
 * already these matrices, so only the patch matrix is extra. It lives in a JS
 * scratch buffer outside the wasm heap (sgemm takes any Float32Array), so the
 * heap does not grow by it. Anything else (NCHW, dilation, other dtypes, tiny
 * convs, huge patch matrices) goes to the wrapped kernel.
 */
import { tf } from '../backend/tfjs.js';
import type { KernelFunc, TensorInfo, TypedArray } from '@tensorflow/tfjs-core';

export type Patches = (
  src: Float32Array, N: number, H: number, W: number, C: number, KH: number, KW: number,
  SH: number, SW: number, padTop: number, padLeft: number, OH: number, OW: number, dst: Float32Array,
) => void;
type Sgemm = (
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, lda: number,
  B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number,
) => void;

/** What the conv kernels need of the addon. */
export interface NativeConvOps {
  sgemm: Sgemm;
  im2col: Patches;
  col2im: Patches;
}

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
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
/** Patch matrices above this many floats (256 MiB) stay on the wrapped kernel rather than hold that much scratch. */
const MAX_PATCH_FLOATS = 1 << 26;

/** Stats for tests and benches: convs done natively. */
export const nativeConvStats = { calls: 0 };

/** One grow-only scratch buffer for patch matrices, reused across calls (ops run one at a time). */
let scratch = new Float32Array(0);
function patchBuffer(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch.subarray(0, n);
}

type Geometry = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** The conv's geometry if the native path takes it, else undefined. */
function geometry(xShape: number[], filterShape: number[], attrs: ConvAttrs, dtypes: string[]): Geometry | undefined {
  if (attrs.dataFormat === 'NCHW' || dtypes.some((d) => d !== 'float32')) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const m = info.batchSize * info.outHeight * info.outWidth, k = info.filterHeight * info.filterWidth * info.inChannels;
  if (m * k * info.outChannels < MIN_CONV_WORK || m * k > MAX_PATCH_FLOATS || m * k === 0) return undefined;
  return info;
}

function heapBackend(b: unknown): WasmHeapBackend | undefined {
  const w = b as Partial<WasmHeapBackend>;
  return typeof w.makeOutput === 'function' && typeof w.typedArrayFromHeap === 'function' ? (w as WasmHeapBackend) : undefined;
}

/** Fills (or, for a 1x1 stride-1 unpadded conv, skips) the patch matrix of x. */
function patchesOf(ops: NativeConvOps, x: Float32Array, g: Geometry): Float32Array {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, filterHeight: kh, filterWidth: kw } = g;
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, padInfo } = g;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && oh === h && ow === w && padInfo.top === 0 && padInfo.left === 0) return x;
  const col = patchBuffer(n * oh * ow * kh * kw * c);
  ops.im2col(x, n, h, w, c, kh, kw, sh, sw, padInfo.top, padInfo.left, oh, ow, col);
  return col;
}

export function nativeConv2D(inner: KernelFunc, ops: NativeConvOps): KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const backend = heapBackend(args.backend);
    const g = backend && geometry(x.shape, filter.shape, args.attrs as unknown as ConvAttrs, [x.dtype, filter.dtype]);
    if (!backend || !g) return inner(args);
    const out = backend.makeOutput(g.outShape, 'float32');
    // Views only after the allocation above: growing the heap detaches older views.
    const col = patchesOf(ops, backend.typedArrayFromHeap(x) as Float32Array, g);
    const m = g.batchSize * g.outHeight * g.outWidth, k = g.filterHeight * g.filterWidth * g.inChannels;
    ops.sgemm(false, false, m, g.outChannels, k, 1, col, k, backend.typedArrayFromHeap(filter) as Float32Array,
      g.outChannels, 0, backend.typedArrayFromHeap(out) as Float32Array, g.outChannels);
    nativeConvStats.calls++;
    return out;
  };
}

export function nativeConv2DBackpropFilter(inner: KernelFunc, ops: NativeConvOps): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = heapBackend(args.backend);
    const g = backend && attrs.filterShape && geometry(x.shape, attrs.filterShape, attrs, [x.dtype, dy.dtype]);
    if (!backend || !g) return inner(args);
    const out = backend.makeOutput(attrs.filterShape!, 'float32');
    const col = patchesOf(ops, backend.typedArrayFromHeap(x) as Float32Array, g);
    const m = g.batchSize * g.outHeight * g.outWidth, k = g.filterHeight * g.filterWidth * g.inChannels;
    ops.sgemm(true, false, k, g.outChannels, m, 1, col, k, backend.typedArrayFromHeap(dy) as Float32Array,
      g.outChannels, 0, backend.typedArrayFromHeap(out) as Float32Array, g.outChannels);
    nativeConvStats.calls++;
    return out;
  };
}

export function nativeConv2DBackpropInput(inner: KernelFunc, ops: NativeConvOps): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = heapBackend(args.backend);
    const g = backend && attrs.inputShape && geometry(attrs.inputShape, filter.shape, attrs, [dy.dtype, filter.dtype]);
    if (!backend || !g) return inner(args);
    const out = backend.makeOutput(attrs.inputShape!, 'float32');
    const dx = backend.typedArrayFromHeap(out) as Float32Array;
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, filterHeight: kh, filterWidth: kw } = g;
    const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, padInfo } = g;
    const m = n * oh * ow, k = kh * kw * c;
    const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && oh === h && ow === w && padInfo.top === 0 && padInfo.left === 0;
    // The patch gradient dy @ w^T; for a 1x1 conv it is dx itself.
    const col = direct ? dx : patchBuffer(m * k);
    ops.sgemm(false, true, m, k, g.outChannels, 1, backend.typedArrayFromHeap(dy) as Float32Array, g.outChannels,
      backend.typedArrayFromHeap(filter) as Float32Array, g.outChannels, 0, col, k);
    if (!direct) ops.col2im(col, n, h, w, c, kh, kw, sh, sw, padInfo.top, padInfo.left, oh, ow, dx);
    nativeConvStats.calls++;
    return out;
  };
}
