import { expect } from 'chai';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { selectBackend, tf, maxPool2d } from '@clusterflow/core';
import { beforeNativeWasm, input, on, relErr, values } from './support/backend-compare.js';
import { MAX_POOL } from '../src/kernels/max_pool.js';
import { nativeMaxPoolStats } from '../src/kernels/native-max-pool.js';

// The addon's index-keeping max-pool (maxPool2d) on wasm against the cpu
// backend's stock maxPool and MaxPoolGrad, from the same fixed inputs: values
// and gradients exactly equal (a max is exact, and windows that do not overlap
// give each input at most one dy). Skipped, with the reason, where
// @clusterflow/native is not built or cannot load.

/** maxPool2d(x) and the gradient of sum(y * r) for x. */
function withGrad(x: Tensor, size: number, stride: number, r: (y: Tensor) => Tensor): Tensor[] {
  const y = maxPool2d(x as Tensor4D, size, stride);
  const dx = tf.grad((a: Tensor) => tf.sum(tf.mul(maxPool2d(a as Tensor4D, size, stride), r(y))))(x);
  return [y, dx];
}

/** A fixed dy for y, from its shape. */
const dyFor = (seed: number) => (y: Tensor) => input(y.shape, seed);

function expectSame(got: Float32Array[], ref: Float32Array[]): void {
  expect(got.length).to.equal(ref.length);
  // +0 makes -0 and 0 one value: cpu's dx is a sum of dy * mask terms.
  got.forEach((g, i) =>
    expect(
      Array.from(g, (v) => v + 0),
      `output ${i}`,
    ).to.deep.equal(Array.from(ref[i], (v) => v + 0)),
  );
}

async function sameOnBoth(f: () => Tensor[]): Promise<void> {
  const ref = await on('cpu', f);
  const got = await on('wasm', f);
  expectSame(got, ref);
}

describe('index-keeping max-pool (@clusterflow/native) on wasm', function () {
  this.timeout(120_000);

  beforeNativeWasm();

  // Batch 1, odd batches, odd sides (floor of H/2), many channels (not a multiple of 16), the ConvNet's pools, other windows.
  const CASES: [number[], number, number][] = [
    [[1, 28, 28, 32], 2, 2],
    [[3, 7, 9, 5], 2, 2],
    [[33, 14, 14, 64], 2, 2],
    [[5, 11, 13, 1], 2, 2],
    [[2, 6, 7, 200], 2, 2],
    [[4, 10, 9, 19], 3, 3],
    [[3, 9, 10, 18], 2, 3],
  ];
  for (const [shape, size, stride] of CASES) {
    it(`values and gradient equal the cpu backend's: x ${shape}, window ${size}, stride ${stride}`, async () => {
      const before = { ...nativeMaxPoolStats };
      await sameOnBoth(() => withGrad(input(shape, 90), size, stride, dyFor(91)));
      expect(nativeMaxPoolStats.forward - before.forward, 'forward kernels').to.equal(2);
      expect(nativeMaxPoolStats.backward - before.backward, 'backward kernels').to.equal(1);
    });
  }

  it('gives equal maxima in a window the first one in row-major order, as cpu does', async () => {
    const f = () => {
      // Values in {-1, 0, 1}: most windows hold ties.
      const x = tf.round(input([6, 8, 10, 24], 92));
      return withGrad(x, 2, 2, dyFor(93));
    };
    const ref = await on('cpu', f);
    expectSame(await on('wasm', f), ref);
    // The ties are there: windows (of channel 0) whose maximum appears more than once.
    const x = Array.from(values(6 * 8 * 10 * 24, 92), Math.round);
    let tied = 0;
    for (let b = 0; b < 6; b++)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 5; j++) {
          const win = [0, 1, 2, 3].map((p) => x[((b * 8 + 2 * i + (p >> 1)) * 10 + 2 * j + (p & 1)) * 24]);
          if (win.filter((v) => v === Math.max(...win)).length > 1) tied++;
        }
    expect(tied).to.be.greaterThan(30);
    // And whole windows of equal values.
    const all = await on('cpu', () => withGrad(tf.ones([1, 2, 2, 3]), 2, 2, () => tf.ones([1, 1, 1, 3])));
    expect(Array.from(all[1])).to.deep.equal([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expectSame(await on('wasm', () => withGrad(tf.ones([1, 2, 2, 3]), 2, 2, () => tf.ones([1, 1, 1, 3]))), all);
  });

  it('skips NaN as cpu does: the largest other value wins, an all-NaN window gives -Infinity and no gradient', async () => {
    const f = () => {
      const x = tf.tensor4d([1, NaN, NaN, 2, -1, NaN, NaN, 3, NaN, NaN, 0, 0, NaN, NaN, 0, 5], [1, 4, 4, 1]);
      return withGrad(x, 2, 2, () => tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]));
    };
    const ref = await on('cpu', f);
    expectSame(await on('wasm', f), ref);
    expect(Array.from(ref[0])).to.deep.equal([1, 3, -Infinity, 5]);
  });

  it('falls back to tf.maxPool where windows overlap, and without the kernel with identical values', async () => {
    await selectBackend('wasm');
    const before = { ...nativeMaxPoolStats };
    // stride < size: windows overlap, tf.maxPool takes it (dx sums several dy, in another order than cpu's).
    const overlap = () => withGrad(input([3, 9, 9, 8], 94), 3, 2, dyFor(95));
    const ref = await on('cpu', overlap);
    (await on('wasm', overlap)).forEach((g, i) => expect(relErr(g, ref[i]), `output ${i}`).to.be.below(1e-6));
    expect(nativeMaxPoolStats.forward - before.forward).to.equal(0);
    // The kernel unregistered: tf.maxPool and the MaxPoolGrad kernel, the same numbers as the fused path.
    const f = () => withGrad(input([7, 12, 10, 40], 96), 2, 2, dyFor(97));
    const fused = await on('wasm', f);
    const kernel = tf.getKernel(MAX_POOL, 'wasm')!;
    tf.unregisterKernel(MAX_POOL, 'wasm');
    try {
      const at = nativeMaxPoolStats.forward;
      // Not on(): selectBackend would register the kernel again.
      const outs = tf.tidy(f);
      expectSame(
        outs.map((t) => t.dataSync() as Float32Array),
        fused,
      );
      tf.dispose(outs);
      expect(nativeMaxPoolStats.forward).to.equal(at);
    } finally {
      tf.registerKernel(kernel);
    }
  });

  it('leaves no tensor behind: without a tape (the index is disposed) and over a training-like loop', async () => {
    await selectBackend('wasm');
    const x = input([9, 10, 10, 16], 98) as Tensor4D;
    const n0 = tf.memory().numTensors;
    tf.tidy(() => {
      maxPool2d(x, 2, 2);
    });
    tf.dispose(maxPool2d(x, 2, 2));
    expect(tf.memory().numTensors, 'without a tape').to.equal(n0);
    const w = tf.variable(input([3, 3, 16, 8], 99));
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(maxPool2d(tf.relu(tf.conv2d(x, w as Tensor4D, 1, 'same')), 2, 2)) as tf.Scalar, [w]);
        w.assign(tf.sub(w, tf.mul(grads[w.name], 1e-3)));
      });
    const before = nativeMaxPoolStats.backward;
    step();
    const { numTensors, numBytes } = tf.memory();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).to.equal(numTensors);
    expect(tf.memory().numBytes).to.equal(numBytes);
    expect(nativeMaxPoolStats.backward - before, 'backward kernels').to.equal(4);
    tf.dispose([w, x]);
  });
});
