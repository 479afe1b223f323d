/**
 * The fused bias + ReLU (bias_relu.ts) on wasm through the @clusterflow/native
 * addon: y = max(x + bias, 0) in one pass, and its gradient (dx and dbias) in
 * one pass over dy and y, on the addon's threads, in place in the wasm heap.
 * Composed of tf ops the same work is Add and Relu forward, Step, Multiply and
 * a Sum over the rows back: single-threaded wasm kernels, with two
 * intermediates the engine keeps for the gradient.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BiasReluBackward, BiasReluForward } from '@clusterflow/native';
import { float32Views, type WasmHeapBackend } from './wasm-heap.js';

/** Stats for tests and benches: bias + ReLU kernels run natively. */
export const nativeBiasReluStats = { forward: 0, backward: 0 };

function float32Inputs(inputs: Record<string, TensorInfo>, kernel: string): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: ${name} must be float32, got ${t.dtype}`);
  }
}

/** [rows, C] of a tensor whose last axis is C. */
function rowsOf(t: TensorInfo): [number, number] {
  const c = t.shape[t.shape.length - 1] ?? 1;
  return [c === 0 ? 0 : t.shape.reduce((a, b) => a * b, 1) / c, c];
}

export function nativeBiasRelu(forward: BiasReluForward): KernelFunc {
  return (args) => {
    const inputs = args.inputs as { x: TensorInfo; bias: TensorInfo };
    float32Inputs(inputs, 'BiasRelu');
    const { x, bias } = inputs;
    const [rows, c] = rowsOf(x);
    if (bias.shape.length !== 1 || bias.shape[0] !== c) {
      throw new Error(`BiasRelu: bias must have shape [${c}] (x's last axis), got [${bias.shape.join(', ')}]`);
    }
    const backend = args.backend as unknown as WasmHeapBackend;
    const y = backend.makeOutput(x.shape, 'float32');
    // Views only after the allocation above: growing the heap detaches older views.
    const v = float32Views(backend);
    forward(v(x), rows, c, v(bias), v(y));
    nativeBiasReluStats.forward++;
    return y;
  };
}

export function nativeBiasReluGrad(backward: BiasReluBackward): KernelFunc {
  return (args) => {
    const inputs = args.inputs as { dy: TensorInfo; y: TensorInfo };
    float32Inputs(inputs, 'BiasReluGrad');
    const { dy, y } = inputs;
    if (dy.shape.join() !== y.shape.join()) {
      throw new Error(`BiasReluGrad: dy [${dy.shape.join(', ')}] and y [${y.shape.join(', ')}] must have one shape`);
    }
    const [rows, c] = rowsOf(y);
    const backend = args.backend as unknown as WasmHeapBackend;
    const dx = backend.makeOutput(y.shape, 'float32'),
      dbias = backend.makeOutput([c], 'float32');
    const v = float32Views(backend);
    backward(v(dy), v(y), rows, c, v(dx), v(dbias));
    nativeBiasReluStats.backward++;
    return [dx, dbias];
  };
}
