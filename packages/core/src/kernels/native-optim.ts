/**
 * fused-optim.ts's kernels on wasm through @clusterflow/native: each reads the
 * variable, its gradient and its buffers once and writes the new values once,
 * on the addon's threads.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { AdamStep, SgdStep } from '@clusterflow/native';
import type { AdamStepAttrs, SgdStepAttrs } from './fused-optim.js';
import { float32Views, type WasmHeapBackend } from './wasm-heap.js';

/** Stats for tests and benches: optimizer steps run natively, one per variable. */
export const nativeOptimStats = { sgd: 0, adam: 0 };

export function nativeSgdStep(op: SgdStep): KernelFunc {
  return (args) => {
    const { p, g, buf } = args.inputs as { p: TensorInfo; g: TensorInfo; buf?: TensorInfo };
    const a = args.attrs as unknown as SgdStepAttrs;
    const backend = args.backend as unknown as WasmHeapBackend;
    const pOut = backend.makeOutput(p.shape, 'float32');
    const bufOut = buf ? backend.makeOutput(p.shape, 'float32') : undefined;
    // Views only after the allocations above: growing the heap detaches older views.
    const v = float32Views(backend);
    op(v(p), v(g), buf ? v(buf) : null, v(pOut), bufOut ? v(bufOut) : null, a.lr, a.momentum, a.weightDecay, a.nesterov);
    nativeOptimStats.sgd++;
    return bufOut ? [pOut, bufOut] : [pOut];
  };
}

export function nativeAdamStep(op: AdamStep): KernelFunc {
  return (args) => {
    const { p, g, m, v: second } = args.inputs as Record<'p' | 'g' | 'm' | 'v', TensorInfo>;
    const a = args.attrs as unknown as AdamStepAttrs;
    const backend = args.backend as unknown as WasmHeapBackend;
    const outs = [0, 1, 2].map(() => backend.makeOutput(p.shape, 'float32'));
    const v = float32Views(backend);
    // The scalars as optim/adam.ts's composed ops make them (each then float32).
    op(
      v(p),
      v(g),
      v(m),
      v(second),
      v(outs[0]),
      v(outs[1]),
      v(outs[2]),
      a.lr / a.c1,
      a.beta1,
      1 - a.beta1,
      a.beta2,
      1 - a.beta2,
      Math.sqrt(a.c2),
      a.eps,
      a.weightDecay,
      a.decoupled && a.weightDecay ? 1 - a.lr * a.weightDecay : 1,
      a.decoupled,
      a.lr !== 0,
    );
    nativeOptimStats.adam++;
    return outs;
  };
}
