/**
 * The fused training-mode BatchNorm (batch_norm_train.ts) on wasm through the
 * @clusterflow/native addon: one pass for the statistics and one for y going
 * forward, the same backward, on both cores, in place in the wasm heap.
 * Composed of tf ops instead, wasm ran ~10 single-threaded kernels each way
 * (Mean, SquaredDifference, Sub, Mul, Add forward; Sum, Mul, RealDiv, Sub and
 * casts back), most of ResNet-18's non-conv time, and the engine kept their
 * inputs for the gradient. With it, ResNet-18's step at batch 32 is 1.28-1.31x
 * faster and peaks at 582 MiB of tensors instead of 1,198; at batch 128 it is
 * what makes the step fit the 4 GiB heap (bench/kernel-ablation.ts and
 * throughput-native.ts --without batchNorm, 2026-11-27).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BatchNormBackward, BatchNormForward } from '@clusterflow/native';
import { float32Views, type WasmHeapBackend } from './wasm-heap.js';

/** Stats for tests and benches: BatchNorm kernels run natively. */
export const nativeBatchNormStats = { forward: 0, backward: 0 };

function float32Inputs(inputs: Record<string, TensorInfo>, kernel: string): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: ${name} must be float32, got ${t.dtype}`);
  }
}

export function nativeBatchNormTrain(forward: BatchNormForward): KernelFunc {
  return (args) => {
    const inputs = args.inputs as { x: TensorInfo; scale: TensorInfo; offset: TensorInfo };
    float32Inputs(inputs, 'BatchNormTrain');
    const { x, scale, offset } = inputs;
    const eps = (args.attrs as { varianceEpsilon: number }).varianceEpsilon;
    const backend = args.backend as unknown as WasmHeapBackend;
    const c = x.shape[x.shape.length - 1];
    const y = backend.makeOutput(x.shape, 'float32');
    const mean = backend.makeOutput([c], 'float32'),
      variance = backend.makeOutput([c], 'float32');
    // Views only after the allocations above: growing the heap detaches older views.
    const v = float32Views(backend);
    forward(v(x), x.shape.reduce((a, b) => a * b, 1) / c, c, v(scale), v(offset), eps, v(y), v(mean), v(variance));
    nativeBatchNormStats.forward++;
    return [y, mean, variance];
  };
}

export function nativeBatchNormTrainGrad(backward: BatchNormBackward): KernelFunc {
  return (args) => {
    const inputs = args.inputs as Record<'dy' | 'x' | 'scale' | 'mean' | 'variance' | 'dmean' | 'dvariance', TensorInfo>;
    float32Inputs(inputs, 'BatchNormTrainGrad');
    const { dy, x, scale, mean, variance, dmean, dvariance } = inputs;
    const eps = (args.attrs as { varianceEpsilon: number }).varianceEpsilon;
    const backend = args.backend as unknown as WasmHeapBackend;
    const c = x.shape[x.shape.length - 1];
    const dx = backend.makeOutput(x.shape, 'float32');
    const dscale = backend.makeOutput([c], 'float32'),
      doffset = backend.makeOutput([c], 'float32');
    const v = float32Views(backend);
    backward(v(dy), v(x), x.shape.reduce((a, b) => a * b, 1) / c, c, v(scale), v(mean), v(variance), v(dmean), v(dvariance), eps, v(dx), v(dscale), v(doffset));
    nativeBatchNormStats.backward++;
    return [dx, dscale, doffset];
  };
}
