/**
 * Run by kernels-native-cores.spec.ts in a process of its own, with
 * OPENBLAS_CORETYPE set by the spec (OpenBLAS reads it once, at load): every
 * native kernel on small shapes, wasm with the addon against cpu, values and
 * gradients. Prints one JSON line: the core OpenBLAS runs on, the summary, and
 * each case's relative error (max |wasm - cpu| / max |cpu|).
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { input, on } from './backend-compare.js';
import { batchNormTrain } from '../../src/kernels/batch_norm_train.js';
import { loadNativeAddon, tryRegisterNativeKernels } from '../../src/kernels/native-matmul.js';

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length && scale > 0 ? diff / scale : Infinity;
}

const CASES: Record<string, () => Tensor[]> = {
  matmul: () =>
    [false, true].flatMap((ta) => [false, true].map((tb) => tf.matMul(input(ta ? [45, 33] : [33, 45], 1), input(tb ? [70, 45] : [45, 70], 2), ta, tb))),
  mlpGradients: () => {
    const w1 = input([96, 120], 3),
      w2 = input([120, 16], 4),
      b1 = input([120], 5),
      x = input([64, 96], 6);
    const { value, grads } = tf.valueAndGrads((a: Tensor, b: Tensor, c: Tensor) => tf.mean(tf.square(tf.matMul(tf.relu(tf.add(tf.matMul(x, a), c)), b))))([
      w1,
      w2,
      b1,
    ]);
    return [value, ...grads];
  },
  convAndGradients: () => {
    const x = input([4, 12, 12, 8], 7) as Tensor4D,
      f = input([3, 3, 8, 16], 8) as Tensor4D;
    const y = tf.conv2d(x, f, 2, 'same');
    const dy = input(y.shape, 9);
    return [y, ...tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, 2, 'same'), dy)))([x, f])];
  },
  batchNormAndGradients: () => {
    const x = input([4, 6, 5, 16], 10),
      g = tf.add(1, input([16], 11)),
      b = input([16], 12),
      r = input([4, 6, 5, 16], 13);
    const { y, mean, variance } = batchNormTrain(x, g, b, 1e-5);
    return [y, mean, variance, ...tf.grads((a: Tensor, c: Tensor, d: Tensor) => tf.sum(tf.mul(batchNormTrain(a, c, d, 1e-5).y, r)))([x, g, b])];
  },
  sumMeanAndGradients: () => {
    const x = input([64, 30, 30, 16], 14);
    return [tf.sum(x, [0, 1, 2]), tf.mean(x, [1, 2]), tf.grad((a: Tensor) => tf.sum(tf.mean(a, [0, 1, 2])))(x)];
  },
  maxPoolGrad: () => {
    const x = tf.relu(input([4, 13, 11, 24], 15)) as Tensor4D;
    const dy = input(tf.maxPool(x, 3, 2, 'same').shape, 16);
    return [tf.grad((a: Tensor) => tf.sum(tf.mul(tf.maxPool(a as Tensor4D, 3, 2, 'same'), dy)))(x)];
  },
};

await selectBackend('wasm');
const registered = await tryRegisterNativeKernels();
const native = await loadNativeAddon();
if (!registered.used || !native.openblas) {
  console.log(JSON.stringify({ skipped: registered.reason }));
} else {
  const errors: Record<string, number> = {};
  for (const [name, f] of Object.entries(CASES)) {
    const ref = await on('cpu', f);
    const got = await on('wasm', f);
    errors[name] = Math.max(...got.map((g, i) => relErr(g, ref[i])));
  }
  console.log(JSON.stringify({ core: native.openblas.core, summary: native.openblas.summary, errors }));
}
