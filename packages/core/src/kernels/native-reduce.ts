/**
 * Sum and Mean on wasm over leading or middle axes through the
 * @clusterflow/native addon: bias gradients (a sum over every row of an NHWC
 * tensor) and global average pooling (a mean over H and W). Stock wasm first
 * transposes the reduced axes to the end (a full copy), then reduces on one
 * thread; the addon reads the tensor once, on both cores, with float64
 * accumulators: the ConvNet's step (three conv bias gradients) is 1.16-1.27x
 * faster with it, the MLP's 1.06x (bench/kernel-ablation.ts, 2026-11-27).
 * Reductions over the last axis (already contiguous, no copy), over
 * non-contiguous axes, of other dtypes or of small tensors go to the wrapped
 * kernel.
 */
import { tf } from '../backend/tfjs.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { SumMiddle } from '@clusterflow/native';
import { float32Views, heapBackend } from './wasm-heap.js';

/** Tensors below this many elements stay on the wrapped kernel: the call costs more than it saves. */
const MIN_NATIVE_ELEMENTS = 1 << 14;
/** Fewer kept elements per reduced row than this, and the float64 loop is slower than wasm's contiguous one. */
const MIN_INNER = 8;

/** Stats for tests and benches: reductions done natively. */
export const nativeReduceStats = { calls: 0 };

/** [outer, r, inner] when the reduced axes are one contiguous run not at the end, else undefined. */
function middle(shape: number[], axis: number | number[]): [number, number, number] | undefined {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  if (axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) return undefined;
  const prod = (a: number[]) => a.reduce((p, d) => p * d, 1);
  const first = axes[0],
    last = axes[axes.length - 1];
  return [prod(shape.slice(0, first)), prod(shape.slice(first, last + 1)), prod(shape.slice(last + 1))];
}

function reduceKernel(inner: KernelFunc, sumMiddle: SumMiddle, mean: boolean): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const backend = heapBackend(args.backend);
    const size = x.shape.reduce((p, d) => p * d, 1);
    const split = x.dtype === 'float32' && size >= MIN_NATIVE_ELEMENTS && backend ? middle(x.shape, axis) : undefined;
    if (!backend || !split || split[2] < MIN_INNER) return inner(args);
    const [outer, r, rest] = split;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = backend.makeOutput(outShape, 'float32');
    const v = float32Views(backend);
    sumMiddle(v(x), outer, r, rest, mean ? 1 / r : 1, v(out));
    nativeReduceStats.calls++;
    return out;
  };
}

export const nativeSum = (inner: KernelFunc, sumMiddle: SumMiddle): KernelFunc => reduceKernel(inner, sumMiddle, false);
export const nativeMean = (inner: KernelFunc, sumMiddle: SumMiddle): KernelFunc => reduceKernel(inner, sumMiddle, true);
