/**
 * A correction to tfjs-backend-webgpu 4.22's matrix product. For a product with
 * transposed B, a long inner dimension (K >= 2000) and a small output, the stock
 * kernel picks its split-K program, whose vectorised (vec4) read of a transposed B
 * is wrong: on SwiftShader, [16, 2048] x [16, 2048]^T came out with errors as large
 * as the values (relative 1.5), while K = 1024 or an untransposed B were exact to
 * 1e-7. ConCURL's 2048-wide projection head meets it in its backward pass. The
 * wrapper transposes such a B itself (one Transpose kernel, [N, K] -> [K, N]) and
 * calls the stock kernel without transposeB, which takes a path that is right.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../backend/tfjs.js';

const BACKEND = 'webgpu';
/** The stock kernel chooses split-K from this inner size up (BatchMatMul_impl.js, 4.22). */
const SPLIT_K_MIN_INNER = 2000;
/** Marks configs we registered, so a second call changes nothing. */
const OURS = Symbol.for('clusterflow.kernels.webgpu');
type Marked = KernelConfig & { [OURS]?: true };

interface MatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo; [extra: string]: TensorInfo };
  backend: { disposeData(dataId: object): void };
  attrs: { transposeA: boolean; transposeB: boolean; [extra: string]: unknown };
}

function avoidSplitKTransposedB(stock: KernelFunc): KernelFunc {
  return ((args: MatMulArgs) => {
    const { inputs, backend, attrs } = args;
    const { b } = inputs;
    const inner = b.shape[b.shape.length - 1];
    if (!attrs.transposeB || inner < SPLIT_K_MIN_INNER) return stock(args as never);
    const transpose = tf.getKernel('Transpose', BACKEND)!.kernelFunc;
    const rank = b.shape.length;
    const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
    const bt = transpose({ inputs: { x: b }, backend, attrs: { perm } } as never) as TensorInfo;
    try {
      return stock({ inputs: { ...inputs, b: bt }, backend, attrs: { ...attrs, transposeB: false } } as never);
    } finally {
      backend.disposeData(bt.dataId);
    }
  }) as unknown as KernelFunc;
}

/**
 * Installs the corrected BatchMatMul and _FusedMatMul on the webgpu backend once
 * '@tensorflow/tfjs-backend-webgpu' has registered its own; idempotent.
 */
export function registerWebgpuKernels(): void {
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const stock = tf.getKernel(name, BACKEND) as Marked | undefined;
    if (!stock || stock[OURS]) continue;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ ...stock, kernelFunc: avoidSplitKTransposedB(stock.kernelFunc), [OURS]: true } as Marked);
  }
}
