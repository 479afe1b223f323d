import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { registerWasmKernels } from '../src/kernels/index.js';
import { beforeNativeWasm, input, on, relErr } from './support/backend-compare.js';
import { nativeConvStats } from '../src/kernels/native-conv.js';
import { nativeBatchNormStats } from '../src/kernels/native-batch-norm.js';
import { nativeReduceStats } from '../src/kernels/native-reduce.js';
import { nativeMaxPoolGradStats } from '../src/kernels/native-max-pool-grad.js';
import { nativeOptimStats } from '../src/kernels/native-optim.js';
import { Adam, Sgd, type Optimizer } from '@clusterflow/core';
import { batchNormTrain } from '../src/kernels/batch_norm_train.js';
import { MIN_NATIVE_WORK, nativeKernelsRegistered, nativeStats, tryRegisterNativeKernels } from '../src/kernels/native-matmul.js';

// The addon's kernels on wasm (BatchMatMul, Conv2D and its gradients, the fused
// BatchNorm, Sum, Mean, MaxPoolGrad) against the cpu backend's stock kernels and
// gradients, from the same fixed inputs. Skipped, with the reason, where the
// optional @clusterflow/native addon is not built or cannot load.

async function sameOnBoth(f: () => Tensor | Tensor[], tol = 1e-4): Promise<number> {
  const ref = await on('cpu', f);
  const calls = nativeStats.calls + nativeConvStats.calls;
  const got = await on('wasm', f);
  expect(got.length).to.equal(ref.length);
  got.forEach((g, i) => expect(relErr(g, ref[i]), `output ${i}`).to.be.below(tol));
  return nativeStats.calls + nativeConvStats.calls - calls;
}

/** [m, n, k] of op(A)[m,k] @ op(B)[k,n]: square, thin, wide, a single row, odd sizes. */
const SHAPES: [number, number, number][] = [
  [64, 64, 64],
  [33, 70, 45],
  [256, 500, 784],
  [1, 512, 256],
  [300, 7, 129],
];

describe('native kernels (@clusterflow/native) on wasm', function () {
  this.timeout(120_000);

  beforeNativeWasm(true);

  it('is installed around the wasm wrappers, and registering again changes nothing', async () => {
    expect(nativeKernelsRegistered()).to.equal(true);
    const before = tf.getKernel('BatchMatMul', 'wasm');
    expect((await tryRegisterNativeKernels()).used).to.equal(true);
    registerWasmKernels();
    expect(tf.getKernel('BatchMatMul', 'wasm')).to.equal(before);
  });

  for (const [m, n, k] of SHAPES) {
    for (const ta of [false, true])
      for (const tb of [false, true]) {
        it(`2-D ${m}x${k} @ ${k}x${n}, transposeA=${ta} transposeB=${tb}`, async () => {
          const calls = await sameOnBoth(() => tf.matMul(input(ta ? [k, m] : [m, k], 1), input(tb ? [n, k] : [k, n], 2), ta, tb));
          expect(calls, 'sgemm calls').to.equal(1);
        });
      }
  }

  for (const ta of [false, true])
    for (const tb of [false, true]) {
      it(`batched, transposeA=${ta} transposeB=${tb}: batch 1, batch x shared B, shared A x batch, batch x batch`, async () => {
        const [m, n, k] = [40, 24, 56];
        const A = (bt: number[]) => input([...bt, ...(ta ? [k, m] : [m, k])], 3);
        const B = (bt: number[]) => input([...bt, ...(tb ? [n, k] : [k, n])], 4);
        const calls = await sameOnBoth(() => [
          tf.matMul(A([1]), B([1]), ta, tb),
          tf.matMul(A([3]), B([]), ta, tb),
          tf.matMul(A([2, 3]), B([1, 1]), ta, tb),
          tf.matMul(A([]), B([2]), ta, tb),
          tf.matMul(A([3]), B([3]), ta, tb),
        ]);
        // Shared B with A untransposed folds into one product; otherwise one per slice.
        expect(calls).to.equal(1 + (ta ? 3 + 6 : 1 + 1) + 2 + 3);
      });
    }

  it('leaves small and integer products to the wasm kernels', async () => {
    const calls = await sameOnBoth(() => [tf.matMul(input([8, 8], 5), input([8, 8], 6), false, true), tf.matMul(input([5, 31, 7], 5), input([5, 7, 9], 6))]);
    expect(calls).to.equal(0);
    expect(8 * 8 * 8).to.be.below(MIN_NATIVE_WORK);
    await selectBackend('wasm');
    const before = nativeStats.calls;
    // Stock wasm has no int32 matmul: the same error as without the native kernel, not a wrong product.
    const tensors = tf.memory().numTensors;
    expect(() => tf.tidy(() => tf.matMul(tf.ones([64, 64], 'int32'), tf.ones([64, 64], 'int32')))).to.throw(/float32/);
    expect(tf.memory().numTensors).to.equal(tensors);
    expect(nativeStats.calls).to.equal(before);
  });

  it('MLP gradients equal the cpu backend stock gradients', async () => {
    const dims = [96, 120, 80, 200, 16];
    const calls = await sameOnBoth(() => {
      const ws = dims.slice(1).map((d, i) => input([dims[i], d], 10 + i));
      const bs = dims.slice(1).map((d, i) => input([d], 20 + i));
      const x = input([64, dims[0]], 30);
      const { value, grads } = tf.valueAndGrads((...params: Tensor[]) => {
        let h = x;
        for (let i = 0; i < ws.length; i++) {
          h = tf.add(tf.matMul(h, params[i]), params[ws.length + i]);
          if (i < ws.length - 1) h = tf.relu(h);
        }
        return tf.mean(tf.square(h));
      })([...ws, ...bs]);
      return [value, ...grads];
    });
    // 4 forward products, 2 per layer backward except dx of the first layer (x is not a parameter here: tf computes it anyway).
    expect(calls).to.be.at.least(8);
  });

  type Shape4 = [number, number, number, number];
  const CONVS: { x: Shape4; f: Shape4; s: number | [number, number]; pad: 'same' | 'valid' | number; native: number }[] = [
    { x: [4, 12, 12, 8], f: [3, 3, 8, 16], s: 1, pad: 'same', native: 3 },
    { x: [8, 13, 11, 6], f: [3, 3, 6, 20], s: 2, pad: 'same', native: 3 },
    { x: [2, 17, 15, 5], f: [5, 3, 5, 24], s: [2, 1], pad: 'valid', native: 3 },
    { x: [2, 10, 9, 12], f: [3, 4, 12, 16], s: 1, pad: 1, native: 3 },
    { x: [8, 16, 16, 32], f: [1, 1, 32, 40], s: 1, pad: 'valid', native: 3 },
    // One input channel: dx of a 1-channel input stays on clusterflow's wasm kernel (stock loop) but matches.
    { x: [16, 28, 28, 1], f: [3, 3, 1, 32], s: 1, pad: 'same', native: 2 },
  ];
  for (const c of CONVS) {
    it(`conv2d and both gradients: x ${c.x}, filter ${c.f}, stride ${c.s}, pad ${c.pad}`, async () => {
      const calls = await sameOnBoth(() => {
        const x = input(c.x, 40) as Tensor4D,
          f = input(c.f, 41) as Tensor4D;
        const y = tf.conv2d(x, f, c.s, c.pad);
        const dy = input(y.shape, 42);
        const [dx, df] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, c.s, c.pad), dy)))([x, f]);
        return [y, dx, df];
      });
      expect(calls, 'native conv calls').to.be.at.least(c.native);
    });
  }

  // 256 input channels: K = 2304 patch floats a row, so the addon builds the patches in blocks of 224 rows,
  // several per thread, and both threads sum their own filter-gradient parts.
  for (const c of [
    { x: [5, 12, 12, 256], f: [3, 3, 256, 4], s: 1, pad: 1 },
    { x: [4, 13, 11, 256], f: [3, 3, 256, 3], s: 2, pad: 'same' as const },
  ]) {
    it(`conv2d and both gradients in several blocks of patch rows: x ${c.x}, filter ${c.f}, stride ${c.s}, pad ${c.pad}`, async () => {
      const before = nativeConvStats.calls;
      await sameOnBoth(() => {
        const x = input(c.x, 43) as Tensor4D,
          f = input(c.f, 44) as Tensor4D;
        const y = tf.conv2d(x, f, c.s, c.pad);
        const dy = input(y.shape, 45);
        const [dx, df] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, c.s, c.pad), dy)))([x, f]);
        return [y, dx, df];
      });
      expect(nativeConvStats.calls - before).to.equal(4);
    });
  }

  // BatchNorm1d and 2d shapes, few rows, one channel, and values far from 0 (the variance must not cancel).
  const BATCH_NORMS: { x: number[]; shift: number }[] = [
    { x: [64, 24], shift: 0 },
    { x: [4, 6, 5, 16], shift: 0 },
    { x: [2, 3], shift: 0 },
    { x: [300, 1], shift: 0 },
    { x: [8, 9, 9, 40], shift: 1000 },
  ];
  for (const c of BATCH_NORMS) {
    it(`fused BatchNorm (training) and its gradients: x ${c.x}${c.shift ? `, values near ${c.shift}` : ''}`, async () => {
      const before = { ...nativeBatchNormStats };
      const ch = c.x[c.x.length - 1];
      await sameOnBoth(
        () => {
          const x = tf.add(input(c.x, 60), c.shift),
            scale = tf.add(1, input([ch], 61)),
            offset = input([ch], 62);
          const r = input(c.x, 63),
            rm = input([ch], 64),
            rv = input([ch], 65);
          const { y, mean, variance } = batchNormTrain(x, scale, offset, 1e-5);
          // A loss through y and through the statistics, so every gradient path is exercised.
          const grads = tf.grads((a: Tensor, b: Tensor, o: Tensor) => {
            const bn = batchNormTrain(a, b, o, 1e-5);
            return tf.addN([tf.sum(tf.mul(bn.y, r)), tf.sum(tf.mul(bn.mean, rm)), tf.sum(tf.mul(bn.variance, rv))]);
          })([x, scale, offset]);
          return [y, mean, variance, ...grads];
        },
        c.shift ? 1e-3 : 1e-4,
      );
      expect(nativeBatchNormStats.forward - before.forward, 'forward kernels').to.equal(2);
      expect(nativeBatchNormStats.backward - before.backward, 'backward kernels').to.equal(1);
    });
  }

  it('fused BatchNorm leaves other dtypes and shapes to the composed ops', async () => {
    const before = { ...nativeBatchNormStats };
    await sameOnBoth(() => [
      batchNormTrain(input([6, 4], 66), tf.ones([1, 4]), tf.zeros([4]), 1e-3).y,
      batchNormTrain(input([5, 4], 67), tf.ones([4]), tf.zeros([4]), 1e-3).variance,
    ]);
    expect(nativeBatchNormStats.forward - before.forward).to.equal(1);
  });

  const REDUCTIONS: { x: number[]; axis: number[]; keepDims: boolean; native: boolean }[] = [
    { x: [64, 30, 30, 16], axis: [0, 1, 2], keepDims: false, native: true }, // a conv bias gradient
    { x: [32, 8, 8, 64], axis: [1, 2], keepDims: false, native: true }, // global average pooling
    { x: [2, 100, 200, 12], axis: [1, 2], keepDims: true, native: true }, // fewer images than threads
    { x: [4096, 40], axis: [0], keepDims: true, native: true },
    { x: [40, 4096], axis: [1], keepDims: false, native: false }, // the last axis: wasm's own kernel
    { x: [16, 64, 64], axis: [0, 2], keepDims: false, native: false }, // not contiguous
    { x: [16, 4, 4], axis: [0, 1], keepDims: false, native: false }, // small
  ];
  for (const r of REDUCTIONS) {
    it(`Sum and Mean over axes ${r.axis} of ${r.x}${r.keepDims ? ', keepDims' : ''}, and their gradients`, async () => {
      const before = nativeReduceStats.calls;
      await sameOnBoth(() => {
        const x = input(r.x, 70);
        const sum = tf.sum(x, r.axis, r.keepDims),
          mean = tf.mean(x, r.axis, r.keepDims);
        const dsum = input(sum.shape, 71);
        const g = tf.grad((a: Tensor) => tf.add(tf.sum(tf.mul(tf.sum(a, r.axis, r.keepDims), dsum)), tf.sum(tf.mean(a, r.axis, r.keepDims))))(x);
        return [sum, mean, g];
      });
      expect(nativeReduceStats.calls - before).to.equal(r.native ? 4 : 0);
    });
  }

  // Overlapping windows (stride under the window), 'same' padding, ties (relu zeros), one image.
  const POOLS: { x: number[]; k: number | [number, number]; s: number; pad: 'valid' | 'same' }[] = [
    { x: [16, 28, 28, 32], k: 2, s: 2, pad: 'valid' },
    { x: [4, 13, 11, 24], k: 3, s: 2, pad: 'same' },
    { x: [3, 9, 10, 40], k: [3, 2], s: 1, pad: 'same' },
    { x: [1, 30, 30, 16], k: 3, s: 2, pad: 'valid' },
  ];
  for (const p of POOLS) {
    it(`MaxPoolGrad x ${p.x}, window ${p.k}, stride ${p.s}, pad ${p.pad}, ties included`, async () => {
      const before = nativeMaxPoolGradStats.calls;
      await sameOnBoth(() => {
        const x = tf.relu(input(p.x, 80)) as Tensor4D;
        const dy = input(tf.maxPool(x, p.k, p.s, p.pad).shape, 81);
        return tf.grad((a) => tf.sum(tf.mul(tf.maxPool(a as Tensor4D, p.k, p.s, p.pad), dy)))(x);
      });
      expect(nativeMaxPoolGradStats.calls - before).to.equal(1);
    });
  }

  // The fused optimizer steps against the composed ops core's optimizers run on cpu: 3 steps, so momentum
  // buffers and moments are used, on a matrix and a bias (a size no thread split divides evenly).
  const OPTIMIZERS: { name: string; make: () => Optimizer; lr: number; wd: number }[] = [
    { name: 'SGD', make: () => new Sgd({ lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false }), lr: 0.1, wd: 0 },
    { name: 'SGD, momentum and decay', make: () => new Sgd({ lr: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: false }), lr: 0.05, wd: 5e-4 },
    { name: 'SGD, Nesterov', make: () => new Sgd({ lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true }), lr: 0.05, wd: 1e-3 },
    { name: 'SGD at lr 0 (warm-up)', make: () => new Sgd({ lr: 0.05, momentum: 0.9, weightDecay: 0, nesterov: false }), lr: 0, wd: 0 },
    { name: 'Adam', make: () => new Adam({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, false), lr: 1e-3, wd: 0 },
    { name: 'Adam, L2 decay', make: () => new Adam({ lr: 1e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01 }, false), lr: 1e-3, wd: 0.01 },
    { name: 'AdamW', make: () => new Adam({ lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 }, true), lr: 3e-3, wd: 0.05 },
  ];
  for (const o of OPTIMIZERS) {
    it(`fused optimizer step, ${o.name}: parameters and buffers equal the composed ops'`, async () => {
      const before = nativeOptimStats.sgd + nativeOptimStats.adam;
      const run = async (backend: 'cpu' | 'wasm') => {
        await selectBackend(backend);
        const tensors = tf.memory().numTensors;
        // Variables outlive a tidy; their initial values do not.
        const vars = tf.tidy(() => [tf.variable(input([300, 257], 90)), tf.variable(input([257], 91))]);
        const opt = o.make();
        for (let step = 0; step < 3; step++) {
          const grads = tf.tidy(() => vars.map((v, i) => tf.mul(input(v.shape, 92 + 10 * step + i), 10 ** -step)));
          opt.step([{ variables: vars, grads, lr: o.lr, weightDecay: o.wd }]);
          tf.dispose(grads);
        }
        const state = opt.getState(vars);
        const out = [...vars, ...Object.values(state).filter((t): t is Tensor => t instanceof tf.Tensor)].map((t) => t.dataSync() as Float32Array);
        opt.dispose();
        tf.dispose(vars);
        expect(tf.memory().numTensors, `${backend} tensors leaked`).to.equal(tensors);
        return out;
      };
      const ref = await run('cpu');
      const got = await run('wasm');
      expect(got.length).to.equal(ref.length);
      got.forEach((g, i) => expect(relErr(g, ref[i]), `output ${i}`).to.be.below(1e-6));
      expect(nativeOptimStats.sgd + nativeOptimStats.adam - before, 'fused steps (one per variable and step)').to.equal(6);
    });
  }

  it('leaves integer sums to the wasm kernel', async () => {
    const before = nativeReduceStats.calls;
    await selectBackend('wasm');
    const x = tf.ones([64, 32, 32], 'int32');
    const s = tf.sum(x, [0, 1]);
    expect(s.dtype).to.equal('int32');
    expect(Array.from(s.dataSync()).slice(0, 2)).to.deep.equal([2048, 2048]);
    tf.dispose([x, s]);
    expect(nativeReduceStats.calls).to.equal(before);
  });

  it('leaves dilated convs to the wasm kernels', async () => {
    const calls = await sameOnBoth(() => tf.conv2d(input([2, 16, 16, 8], 50) as Tensor4D, input([3, 3, 8, 16], 51) as Tensor4D, 1, 'same', 'NHWC', 2));
    expect(calls).to.equal(0);
  });

  it('reports why not, and registers nothing, when the addon is disabled', function () {
    this.timeout(60_000);
    const script = [
      "import { selectBackend, tf } from '@clusterflow/core';",
      "import { tryRegisterNativeKernels, nativeKernelNames } from './packages/core/src/kernels/native-matmul.ts';",
      "import { batchNormTrain } from './packages/core/src/kernels/batch_norm_train.ts';",
      "await selectBackend('wasm');",
      'const r = await tryRegisterNativeKernels();',
      'const y = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]), false, true).dataSync()[0];',
      // The fused BatchNorm's kernel is not there: batchNormTrain composes tf ops.
      'const bn = Array.from(batchNormTrain(tf.tensor2d([[1, 2], [3, 6]]), tf.ones([2]), tf.zeros([2]), 0).y.dataSync());',
      'console.log(JSON.stringify({ ...r, names: nativeKernelNames(), y, bn }));',
    ].join('\n');
    const out = spawnSync(process.execPath, ['--conditions=source', '--import=tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, CLUSTERFLOW_NATIVE: '0' },
      encoding: 'utf8',
    });
    expect(out.status, out.stderr).to.equal(0);
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as { used: boolean; reason: string; names: string[]; y: number; bn: number[] };
    expect(r).to.deep.equal({ used: false, reason: 'disabled by CLUSTERFLOW_NATIVE=0', names: [], y: 64, bn: [-1, -1, 1, 1] });
  });
});
