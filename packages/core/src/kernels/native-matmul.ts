/**
 * BatchMatMul on the wasm backend through OpenBLAS (the optional
 * @clusterflow/native addon, which splits each product over its own 2 threads).
 * Single-threaded wasm SIMD peaks near 9 GFLOP/s; the addon reaches 100-125
 * GFLOP/s on the MLP's step. It works on the tensors' memory in the wasm heap
 * directly (views, no copies), and the transpose flags become CBLAS flags, so
 * no explicit transposes either. registerNativeKernels installs the addon's
 * other kernels too (native-conv.ts, native-batch-norm.ts, native-reduce.ts,
 * native-max-pool-grad.ts, native-optim.ts, native-bias-relu.ts, native-max-pool.ts).
 *
 * It wraps whatever BatchMatMul is registered (normally batch_matmul.ts's
 * wrapper around the stock kernel) and hands it every case it does not take:
 * non-float32, tiny products (call overhead), broadcasts over several batch dims.
 * Bias/activation variants are a different kernel (_FusedMatMul) and stay stock.
 */
import { platform } from '#platform';
import { tf } from '../backend/tfjs.js';
import { whyNotLoaded } from '../optional-package.js';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { float32Views, heapBackend } from './wasm-heap.js';
import type { NativeModule, Sgemm } from '@clusterflow/native';
import { registerWasmKernels } from './register.js';
import { nativeConv2D, nativeConv2DBackpropFilter, nativeConv2DBackpropInput } from './native-conv.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, batchNormTrainGradConfig } from './batch_norm_train.js';
import { nativeBatchNormTrain, nativeBatchNormTrainGrad } from './native-batch-norm.js';
import { nativeMean, nativeSum } from './native-reduce.js';
import { nativeMaxPoolGrad } from './native-max-pool-grad.js';
import { ADAM_STEP, SGD_STEP } from './fused-optim.js';
import { nativeAdamStep, nativeSgdStep } from './native-optim.js';
import { BIAS_RELU, BIAS_RELU_GRAD, biasReluGradConfig } from './bias_relu.js';
import { nativeBiasRelu, nativeBiasReluGrad } from './native-bias-relu.js';
import { MAX_POOL, MAX_POOL_GRAD } from './max_pool.js';
import { nativeMaxPool, nativeMaxPoolGrad as nativeMaxPoolScatter } from './native-max-pool.js';

/** @clusterflow/native as loaded: its types are declared once, in that package (an optional peer, imported for types only). */
export type NativeBlas = NativeModule;

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * Products with fewer multiply-adds than this stay on the wrapped kernel: below
 * it the N-API call and waking the addon's threads cost more than they save.
 */
export const MIN_NATIVE_WORK = 1 << 15;

/** How many products went to OpenBLAS (sgemm calls): lets tests and benches see the path was taken. */
export const nativeStats = { calls: 0 };

const BACKEND = 'wasm';
const NATIVE = Symbol.for('clusterflow.kernels.native');
type Marked = KernelConfig & { [NATIVE]?: true };

/** Builds the BatchMatMul that sends float32 products to `sgemm` and everything else to `inner`. */
export function nativeBatchMatMul(inner: KernelFunc, sgemm: Sgemm): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
    const backend = heapBackend(args.backend);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !backend) return inner(args);
    const ra = a.shape.length,
      rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batchA = batchOf(a.shape),
      batchB = batchOf(b.shape);
    const batch = Math.max(batchA, batchB);
    // Several batch sizes above 1 means broadcasting over several dims: rare, leave it.
    if ((batchA > 1 && batchB > 1 && batchA !== batchB) || m * n * k < MIN_NATIVE_WORK || m * n * k === 0) {
      return inner(args);
    }
    const outShape = [...tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
    const out = backend.makeOutput(outShape, 'float32');
    // Views only after the allocation above: growing the heap detaches older views.
    const v = float32Views(backend);
    const [av, bv, cv] = [v(a), v(b), v(out)];
    const lda = transposeA ? m : k,
      ldb = transposeB ? k : n;
    nativeStats.calls += batchB === 1 && !transposeA ? 1 : batch;
    if (batchB === 1 && !transposeA) {
      // One B for every A slice (and A's slices are consecutive rows): one product with batch*m rows.
      sgemm(false, transposeB, batch * m, n, k, 1, av, lda, bv, ldb, 0, cv, n);
    } else {
      for (let i = 0; i < batch; i++) {
        const ai = batchA === 1 ? av : av.subarray(i * m * k, (i + 1) * m * k);
        const bi = batchB === 1 ? bv : bv.subarray(i * k * n, (i + 1) * k * n);
        sgemm(transposeA, transposeB, m, n, k, 1, ai, lda, bi, ldb, 0, cv.subarray(i * m * n, (i + 1) * m * n), n);
      }
    }
    return out;
  };
}

function batchOf(shape: number[]): number {
  return shape.slice(0, -2).reduce((p, d) => p * d, 1);
}

/** Which kernels to send to the addon (all by default; the bench turns them on one at a time). */
export interface NativeKernelChoice {
  matmul?: boolean;
  conv?: boolean;
  /** The fused training-mode BatchNorm (batch_norm_train.ts) and its gradient. */
  batchNorm?: boolean;
  /** Sum and Mean over leading or middle axes. */
  reduce?: boolean;
  maxPoolGrad?: boolean;
  /** The fused optimizer steps (fused-optim.ts): SGD and Adam/AdamW, one kernel per variable. */
  optimizer?: boolean;
  /** The fused bias + ReLU (bias_relu.ts) and its gradient. */
  biasRelu?: boolean;
  /** The index-keeping max-pool (max_pool.ts) and its scatter gradient. */
  maxPool?: boolean;
}

/** Registers the fused kernels of the addon (ours alone, no stock kernel to wrap), each once, marked native. */
function addKernels(kernels: [string, KernelFunc][]): void {
  for (const [kernelName, kernelFunc] of kernels) {
    if (!tf.getKernel(kernelName, BACKEND)) tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, [NATIVE]: true } as Marked);
  }
}

/**
 * Wraps the wasm backend's current BatchMatMul, Conv2D and its gradients, Sum,
 * Mean and MaxPoolGrad with the native ones, and adds the fused
 * BatchNorm, bias + ReLU, index-keeping max-pool and optimizer kernels.
 * Idempotent per kernel. Needs '@tensorflow/tfjs-backend-wasm' imported (so the
 * kernels exist); returns whether any native kernel is installed.
 */
export function registerNativeKernels(native: NativeBlas, choice: NativeKernelChoice = {}): boolean {
  if (!native.available || typeof native.sgemm !== 'function') return false;
  // Ours go around clusterflow's wasm wrappers, so those must be in place first.
  registerWasmKernels();
  const sgemm = native.sgemm;
  const wraps: [string, (inner: KernelFunc) => KernelFunc][] = [];
  if (choice.matmul !== false) wraps.push(['BatchMatMul', (inner) => nativeBatchMatMul(inner, sgemm)]);
  if (choice.conv !== false && native.conv2d && native.conv2dFilterGrad && native.conv2dInputGrad) {
    const ops = { conv2d: native.conv2d, conv2dFilterGrad: native.conv2dFilterGrad, conv2dInputGrad: native.conv2dInputGrad };
    wraps.push(
      ['Conv2D', (inner) => nativeConv2D(inner, ops)],
      ['Conv2DBackpropFilter', (inner) => nativeConv2DBackpropFilter(inner, ops)],
      ['Conv2DBackpropInput', (inner) => nativeConv2DBackpropInput(inner, ops)],
    );
  }
  if (choice.reduce !== false && native.sumMiddle) {
    const sumMiddle = native.sumMiddle;
    wraps.push(['Sum', (inner) => nativeSum(inner, sumMiddle)], ['Mean', (inner) => nativeMean(inner, sumMiddle)]);
  }
  if (choice.maxPoolGrad !== false && native.maxPoolGrad) {
    const op = native.maxPoolGrad;
    wraps.push(['MaxPoolGrad', (inner) => nativeMaxPoolGrad(inner, op)]);
  }
  let any = false;
  if (choice.batchNorm !== false && native.batchNormForward && native.batchNormBackward) {
    any = true;
    addKernels([
      [BATCH_NORM_TRAIN, nativeBatchNormTrain(native.batchNormForward)],
      [BATCH_NORM_TRAIN_GRAD, nativeBatchNormTrainGrad(native.batchNormBackward)],
    ]);
    // Global, like every TF.js gradient: it only runs for the fused kernel, which only backends with it run.
    if (!tf.getGradient(BATCH_NORM_TRAIN)) tf.registerGradient(batchNormTrainGradConfig);
  }
  if (choice.biasRelu !== false && native.biasReluForward && native.biasReluBackward) {
    any = true;
    addKernels([
      [BIAS_RELU, nativeBiasRelu(native.biasReluForward)],
      [BIAS_RELU_GRAD, nativeBiasReluGrad(native.biasReluBackward)],
    ]);
    // Global, like every TF.js gradient: it only runs for the fused kernel, which only backends with it run.
    if (!tf.getGradient(BIAS_RELU)) tf.registerGradient(biasReluGradConfig);
  }
  if (choice.maxPool !== false && native.maxPoolArgmax && native.maxPoolScatter) {
    any = true;
    addKernels([
      [MAX_POOL, nativeMaxPool(native.maxPoolArgmax)],
      [MAX_POOL_GRAD, nativeMaxPoolScatter(native.maxPoolScatter)],
    ]);
    // No registered gradient: maxPool2d's customGrad runs MAX_POOL_GRAD (max_pool.ts says why).
  }
  if (choice.optimizer !== false && native.sgdStep && native.adamStep) {
    any = true;
    addKernels([
      [SGD_STEP, nativeSgdStep(native.sgdStep)],
      [ADAM_STEP, nativeAdamStep(native.adamStep)],
    ]);
  }
  for (const [name, wrap] of wraps) {
    const current = tf.getKernel(name, BACKEND) as Marked | undefined;
    if (!current) continue;
    any = true;
    if (current[NATIVE]) continue;
    tf.unregisterKernel(name, BACKEND);
    // Spreading keeps the stock setup/dispose hooks and the wasm wrappers' mark.
    tf.registerKernel({ ...current, kernelFunc: wrap(current.kernelFunc), [NATIVE]: true } as Marked);
  }
  return any;
}

/** The wasm kernels that go through the addon now. */
export function nativeKernelNames(): string[] {
  return [
    'BatchMatMul',
    'Conv2D',
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'Sum',
    'Mean',
    'MaxPoolGrad',
    BATCH_NORM_TRAIN,
    BATCH_NORM_TRAIN_GRAD,
    SGD_STEP,
    ADAM_STEP,
    BIAS_RELU,
    BIAS_RELU_GRAD,
    MAX_POOL,
    MAX_POOL_GRAD,
  ].filter((n) => (tf.getKernel(n, BACKEND) as Marked | undefined)?.[NATIVE]);
}

/** Whether the native BatchMatMul is installed on wasm now. */
export function nativeKernelsRegistered(): boolean {
  return Boolean((tf.getKernel('BatchMatMul', BACKEND) as Marked | undefined)?.[NATIVE]);
}

/**
 * Loads @clusterflow/native if it is installed and built, and registers its
 * kernels on wasm. Never throws: `used` false with `reason` is an ordinary
 * outcome (no addon, no OpenBLAS, CLUSTERFLOW_NATIVE=0), for logs.
 */
export async function tryRegisterNativeKernels(choice: NativeKernelChoice = {}): Promise<{ used: boolean; reason: string }> {
  const native = await loadNativeAddon();
  if (!native.available) return { used: false, reason: native.reason ?? '@clusterflow/native is unavailable' };
  try {
    if (!registerNativeKernels(native, choice))
      return { used: false, reason: 'the wasm backend has no BatchMatMul kernel to wrap (is @tensorflow/tfjs-backend-wasm imported?)' };
  } catch (err) {
    return { used: false, reason: `registering native kernels failed: ${String((err as Error).message ?? err).split('\n')[0]}` };
  }
  return {
    used: true,
    reason: `@clusterflow/native for ${nativeKernelNames().join(', ')}; ${native.getNumThreads?.() ?? '?'} threads; ${blasAndConvolutions(native)}`,
  };
}

/** @clusterflow/native as loaded (once per process), or why it is not there. Never throws. */
export async function loadNativeAddon(): Promise<NativeBlas> {
  try {
    // Through the platform: core has no run-time dependency on the optional package (its
    // types are imported, and erased), and a browser bundle never tries to include it.
    const mod = (await platform.importNodeOnly('@clusterflow/native')) as { default?: NativeBlas } & NativeBlas;
    return mod.default ?? mod;
  } catch (err) {
    return { available: false, reason: whyNotLoaded('@clusterflow/native', err) };
  }
}

/**
 * What results.json records of the native libraries: "OpenBLAS 0.3.21, core
 * SkylakeX (chosen: ...)", then where products and convolutions run when not on
 * it, or "none: <why>" where the addon is not there. A ConvNet's speed depends on
 * the convolutions' library as much as on the BLAS core, so a result names both.
 */
export async function nativeBlasSummary(): Promise<string> {
  const native = await loadNativeAddon();
  if (!native.available) return `none: ${native.reason ?? 'unavailable'}`;
  return blasAndConvolutions(native);
}

/** OpenBLAS's build and core, and where the matrix products run when not on it (oneDNN's sgemm where OpenBLAS's core has no AVX-512). */
function blasSummary(native: NativeBlas): string {
  const blas = native.openblas?.summary ?? native.config ?? 'unknown build';
  // `products` is "OpenBLAS..." unless the addon put them on oneDNN when it loaded.
  return native.products?.startsWith('oneDNN') ? `${blas}; products: ${native.products}` : blas;
}

/** For the backend summary: "OpenBLAS 0.3.21, core Haswell (...); convolutions: oneDNN 2.6.3 (avx512_core) for forward, ...". */
function blasAndConvolutions(native: NativeBlas): string {
  const blas = blasSummary(native);
  return native.convolutions ? `${blas}; convolutions: ${native.convolutions}` : blas;
}
