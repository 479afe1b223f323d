/**
 * Fills TF.js 4.22's wasm backend in for training: the conv gradient kernels it
 * lacks, faster versions of some it has, and an Identity and Cast that share
 * data instead of copying it (see each module for why).
 */
import { tf } from '../backend/tfjs.js';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { fastBatchMatMul } from './batch_matmul.js';
import { conv2dBackpropFilterKernel } from './conv2d_backprop_filter.js';
import { fastConv2dBackpropInput } from './conv2d_backprop_input.js';
import { fastMaxPoolGrad } from './max_pool_grad.js';
import { depthwiseBackpropFilterKernel, depthwiseBackpropInputKernel } from './depthwise_backprop.js';
import { sharedCast, sharedIdentity } from './share_data.js';

const BACKEND = 'wasm';

/** Marks configs we registered, so a second call (even from a second copy of this module) changes nothing. */
const OURS = Symbol.for('clusterflow.kernels.wasm');
type Marked = KernelConfig & { [OURS]?: true };

/** Kernels wasm does not have at all. */
const MISSING: [string, KernelFunc][] = [
  ['Conv2DBackpropFilter', conv2dBackpropFilterKernel as unknown as KernelFunc],
  ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilterKernel as unknown as KernelFunc],
  ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInputKernel as unknown as KernelFunc],
];

/** Kernels wasm has, wrapped: the wrapper calls the stock one for whatever it does not handle itself. */
const WRAPPED: [string, (stock: KernelFunc) => KernelFunc][] = [
  ['BatchMatMul', fastBatchMatMul],
  ['Conv2DBackpropInput', fastConv2dBackpropInput],
  ['MaxPoolGrad', fastMaxPoolGrad],
  ['Identity', sharedIdentity],
  ['Cast', sharedCast],
];

/**
 * Registers clusterflow's wasm kernels. Idempotent. Gap-filling kernels are
 * registered whether or not the wasm backend is loaded yet; wrappers need the
 * stock kernel, so they are installed once '@tensorflow/tfjs-backend-wasm' has
 * been imported (selectBackend('wasm') does that) and skipped before.
 */
export function registerWasmKernels(): void {
  for (const [name, kernelFunc] of MISSING) {
    const existing = tf.getKernel(name, BACKEND) as Marked | undefined;
    if (existing) continue; // ours already, or a newer TF.js ships it
    register({ kernelName: name, backendName: BACKEND, kernelFunc });
  }
  for (const [name, wrap] of WRAPPED) {
    const stock = tf.getKernel(name, BACKEND) as Marked | undefined;
    if (!stock || stock[OURS]) continue;
    // Keep the stock setup/dispose hooks: they bind the wasm functions the stock kernel calls.
    tf.unregisterKernel(name, BACKEND);
    register({ ...stock, kernelFunc: wrap(stock.kernelFunc) });
  }
}

function register(config: KernelConfig): void {
  tf.registerKernel({ ...config, [OURS]: true } as Marked);
}
