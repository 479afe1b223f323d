/**
 * MaxPoolGrad on wasm through the @clusterflow/native addon: the same routing
 * as max_pool_grad.ts (each window's dy to its first maximum), in C and split
 * over images on both cores. The JS kernel took ~28 ms of the ConvNet's step
 * for its two pools ([128,28,28,32] and [128,14,14,64]); with this one the
 * step is 1.21-1.26x faster (bench/kernel-ablation.ts, 2026-11-27).
 */
import { tf } from '../backend/tfjs.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MaxPoolGrad } from '@clusterflow/native';
import type { MaxPoolGradAttrs } from './max_pool_grad.js';
import { windowDims } from './conv_geometry.js';
import { float32Views, heapBackend } from './wasm-heap.js';

/** Stats for tests and benches: pool gradients done natively. */
export const nativeMaxPoolGradStats = { calls: 0 };

export function nativeMaxPoolGrad(inner: KernelFunc, maxPoolGrad: MaxPoolGrad): KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const backend = heapBackend(args.backend);
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || !backend) return inner(args);
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
    const g = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const out = backend.makeOutput(input.shape, 'float32');
    // Views only after the allocation above: growing the heap detaches older views.
    const v = float32Views(backend);
    maxPoolGrad(v(input), v(dy), ...windowDims(g), v(out));
    nativeMaxPoolGradStats.calls++;
    return out;
  };
}
