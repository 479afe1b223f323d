/**
 * What each of clusterflow's wasm kernels is worth, measured as the rules ask
 * (a kernel that is not faster, or does not save memory, does not stay): in one
 * process, training steps alternate between the kernel installed and the kernel
 * it replaces, so both see the same machine load. Per kernel group and model:
 * the median over pairs of (step time without) / (step time with), and the peak
 * of live tensor memory each way.
 *
 *   npx tsx --conditions=source tools/speed/kernel-ablation.ts [--steps 8] [--resnet-batch 32]
 *     [--only batchNorm,biasRelu,maxPool,reduce,reduceGradients,maxPoolGrad,sharedIdentity,optimizer,workSharing,dnnl,dnnlForward,dnnlFilterGrad,dnnlInputGrad,dnnlGemm]
 *     [--optimizer sgd|momentum|adam]
 *
 * Groups: batchNorm (the fused training BatchNorm against tf ops), biasRelu
 * (the fused bias + ReLU and its gradient against Add and Relu), reduce (Sum
 * and Mean), reduceGradients (Sum's and Mean's gradients with the ones from
 * the backend's Fill against TF.js's, built in JavaScript), maxPool (the index-keeping max-pool and its scatter gradient
 * against tf.maxPool, XNNPACK's forward and the native MaxPoolGrad that searches
 * each window again), maxPoolGrad (native against clusterflow's JS kernel),
 * sharedIdentity (Identity and Cast sharing data against the stock copies),
 * optimizer (the fused optimizer step, one kernel per variable, against core's
 * optimizer composing tf ops). --optimizer picks the models' optimizer: plain
 * SGD at lr 1e-3 (the PyTorch twins'), SGD with momentum 0.9 and decay 5e-4, or
 * Adam. workSharing: the addon's threads take the parts of a kernel that a
 * thread not yet scheduled has not started, against each part waiting for its
 * own thread (on a loaded machine a woken thread may wait milliseconds for a core).
 * dnnl, dnnlForward, dnnlFilterGrad, dnnlInputGrad: the convolutions (all, or
 * one of the three) on oneDNN against the addon's OpenBLAS patch matrices, where
 * the addon was built with oneDNN (the others are left as the addon set them).
 * dnnlGemm: the matrix products on oneDNN's sgemm against OpenBLAS, whichever the
 * addon chose by default.
 * ResNet-18 runs at --resnet-batch: at 128 a step without the fused BatchNorm
 * does not fit the wasm heap.
 */
import { parseArgs } from 'node:util';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { tf, registerWasmKernels } from '@clusterflow/core';
import { loadNativeAddon, tryRegisterNativeKernels } from '../../packages/core/src/kernels/native-matmul.js';
import { BATCH_NORM_TRAIN } from '../../packages/core/src/kernels/batch_norm_train.js';
import { BIAS_RELU } from '../../packages/core/src/kernels/bias_relu.js';
import { MAX_POOL } from '../../packages/core/src/kernels/max_pool.js';
import { REDUCE_GRADIENT_KERNELS, registerReduceGradients } from '../../packages/core/src/kernels/reduce_gradients.js';
import { Adam, Sgd, type Optimizer } from '@clusterflow/core';
import { ADAM_STEP, SGD_STEP } from '../../packages/core/src/kernels/fused-optim.js';
import { benchSgd, convnet, mlp, resnet18, trainStep, type BenchModel } from './models.js';
import { MiB, trackWasmTensorBytes } from './memory.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '8' },
    'resnet-batch': { type: 'string', default: '32' },
    only: { type: 'string', default: '' },
    optimizer: { type: 'string', default: 'sgd' },
  },
});
const OPTIMIZERS: Record<string, () => Optimizer> = {
  sgd: benchSgd,
  momentum: () => new Sgd({ lr: 1e-3, momentum: 0.9, weightDecay: 5e-4, nesterov: false }),
  adam: () => new Adam({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, false),
};
const makeOptimizer = OPTIMIZERS[args.optimizer];
if (!makeOptimizer) throw new Error(`--optimizer: unknown ${args.optimizer} (one of ${Object.keys(OPTIMIZERS).join(', ')})`);
const steps = Number(args.steps);
const resnetBatch = Number(args['resnet-batch']);

await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend('wasm');
await tf.ready();
const get = (names: string[]) => names.map((n) => tf.getKernel(n, 'wasm')!);
const stockShare = get(['Identity', 'Cast']);
const stockReduceGradients = REDUCE_GRADIENT_KERNELS.map((n) => tf.getGradient(n)!);
registerReduceGradients();
const reduceGradients = REDUCE_GRADIENT_KERNELS.map((n) => tf.getGradient(n)!);
registerWasmKernels();
const [sum, mean, maxPoolGrad] = get(['Sum', 'Mean', 'MaxPoolGrad']);
const r = await tryRegisterNativeKernels();
if (!r.used) throw new Error(`the native kernels are needed: ${r.reason}`);
const tensors = trackWasmTensorBytes();
const native = await loadNativeAddon();

/** Puts these configs in place of whatever is registered under their names (nothing, if they already are). */
function install(configs: KernelConfig[]): void {
  for (const c of configs) {
    const current = tf.getKernel(c.kernelName, 'wasm');
    if (current === c) continue;
    if (current) tf.unregisterKernel(c.kernelName, 'wasm');
    tf.registerKernel(c);
  }
}

/** A kernel group: how to switch it off and back on. */
interface Group {
  name: string;
  models: (() => BenchModel)[];
  off(): void;
  on(): void;
}
function swap(name: string, off: KernelConfig[], models: (() => BenchModel)[]): Group {
  const on = get(off.map((c) => c.kernelName));
  return { name, models, off: () => install(off), on: () => install(on) };
}
const bn = tf.getKernel(BATCH_NORM_TRAIN, 'wasm')!;
const biasReluKernel = tf.getKernel(BIAS_RELU, 'wasm')!;
const maxPoolKernel = tf.getKernel(MAX_POOL, 'wasm')!;
const fusedOptim = get([SGD_STEP, ADAM_STEP]);
const resnet = () => resnet18(resnetBatch);
const groups: Group[] = [
  {
    name: 'batchNorm',
    models: [resnet],
    off: () => {
      if (tf.getKernel(BATCH_NORM_TRAIN, 'wasm')) tf.unregisterKernel(BATCH_NORM_TRAIN, 'wasm');
    },
    on: () => install([bn]),
  },
  {
    // Without its kernel, biasRelu composes Add and Relu (and their gradients' Step, Multiply and Sum).
    name: 'biasRelu',
    models: [convnet, mlp],
    off: () => {
      if (tf.getKernel(BIAS_RELU, 'wasm')) tf.unregisterKernel(BIAS_RELU, 'wasm');
    },
    on: () => install([biasReluKernel]),
  },
  {
    // Without its kernel, maxPool2d is tf.maxPool: XNNPACK forward, the native MaxPoolGrad back.
    name: 'maxPool',
    models: [convnet],
    off: () => {
      if (tf.getKernel(MAX_POOL, 'wasm')) tf.unregisterKernel(MAX_POOL, 'wasm');
    },
    on: () => install([maxPoolKernel]),
  },
  swap('reduce', [sum, mean], [convnet, resnet, mlp]),
  {
    // Sum's and Mean's gradients through the backend's Fill against TF.js's ones built in JavaScript.
    name: 'reduceGradients',
    models: [convnet, mlp],
    off: () => stockReduceGradients.forEach((g) => tf.registerGradient(g)),
    on: () => reduceGradients.forEach((g) => tf.registerGradient(g)),
  },
  swap('maxPoolGrad', [maxPoolGrad], [convnet]),
  swap('sharedIdentity', stockShare, [resnet, convnet, mlp]),
  {
    name: 'workSharing',
    models: [mlp, convnet],
    off: () => native.setWorkSharing!(false),
    on: () => native.setWorkSharing!(true),
  },
  ...(['dnnl', 'dnnlForward', 'dnnlFilterGrad', 'dnnlInputGrad'] as const)
    .map((name, i): Group => {
      const bit = i === 0 ? 7 : 1 << (i - 1),
        loaded = native.getConvInfo?.().ops ?? 0;
      return {
        name,
        models: i === 0 ? [convnet, resnet] : [convnet],
        off: () => native.setConvDnnl!(loaded & ~bit),
        on: () => native.setConvDnnl!(loaded | bit),
      };
    })
    .filter(() => native.getConvInfo?.().dnnl),
  // Matrix products forced onto oneDNN's sgemm against OpenBLAS (whatever core it runs), where the addon has oneDNN.
  ...(native.getConvInfo?.().dnnl ? [{ name: 'dnnlGemm', models: [mlp, convnet], off: () => native.setGemmDnnl!(0), on: () => native.setGemmDnnl!(1) }] : []),
  {
    name: 'optimizer',
    models: [mlp, convnet],
    off: () => {
      for (const k of [SGD_STEP, ADAM_STEP]) if (tf.getKernel(k, 'wasm')) tf.unregisterKernel(k, 'wasm');
    },
    on: () => install(fusedOptim),
  },
].filter((g) => !args.only || args.only.split(',').includes(g.name));

function timedStep(model: BenchModel): { ms: number; peak: number } {
  tensors.resetPeak();
  const t0 = performance.now();
  trainStep(model, makeOptimizer);
  return { ms: performance.now() - t0, peak: tensors.peak() };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const lines: string[] = [];
for (const g of groups) {
  for (const make of g.models) {
    const model = make();
    const withK: { ms: number; peak: number }[] = [],
      without: { ms: number; peak: number }[] = [];
    g.off();
    trainStep(model, makeOptimizer);
    g.on();
    trainStep(model, makeOptimizer); // warm-up both ways
    for (let i = 0; i < steps; i++) {
      // Alternate which goes first, so neither always follows the other.
      for (const use of i % 2 ? [true, false] : [false, true]) {
        if (use) g.on();
        else g.off();
        (use ? withK : without).push(timedStep(model));
      }
    }
    g.on();
    const speedup = median(without.map((w, i) => w.ms / withK[i].ms));
    const line =
      `${g.name.padEnd(15)} ${model.name.padEnd(8)} ${args.optimizer.padEnd(8)} batch ${String(model.batch).padStart(3)}  ms with ${median(
        withK.map((x) => x.ms),
      )
        .toFixed(1)
        .padStart(7)}` +
      `  without ${median(without.map((x) => x.ms))
        .toFixed(1)
        .padStart(7)}  without/with ${speedup.toFixed(3)}` +
      `  peak tensors MiB with ${(Math.max(...withK.map((x) => x.peak)) / MiB).toFixed(0).padStart(5)} without ${(Math.max(...without.map((x) => x.peak)) / MiB).toFixed(0).padStart(5)}`;
    console.log(line);
    lines.push(line);
    model.dispose();
  }
}
console.log(
  `\n${new Date().toISOString()}  load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
lines.forEach((l) => console.log(l));
