import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { Tensor } from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { beforeNativeWasm, input, on, relErr } from './support/backend-compare.js';
import { biasRelu } from '../src/kernels/bias_relu.js';
import { nativeBiasReluStats } from '../src/kernels/native-bias-relu.js';

// The addon's fused bias + ReLU (biasRelu) on wasm against the cpu backend's
// stock relu(add(x, bias)) and its gradients, from the same fixed inputs.
// Skipped, with the reason, where @clusterflow/native is not built or cannot load.

/** relu(x + bias) and the gradients of sum(y * r) for x and bias. */
function withGrads(x: Tensor, bias: Tensor, r: Tensor): Tensor[] {
  const y = biasRelu(x, bias);
  const [dx, db] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(biasRelu(a, b), r)))([x, bias]);
  return [y, dx, db];
}

async function sameOnBoth(f: () => Tensor[], tol = 1e-5): Promise<void> {
  const ref = await on('cpu', f);
  const got = await on('wasm', f);
  expect(got.length).to.equal(ref.length);
  got.forEach((g, i) => expect(relErr(g, ref[i]), `output ${i}`).to.be.below(tol));
}

describe('fused bias + ReLU (@clusterflow/native) on wasm', function () {
  this.timeout(120_000);

  beforeNativeWasm();

  // Odd sizes; one under a thread's grain, the rest split over the addon's threads; a single channel.
  const SHAPES = [[37, 13], [4, 7, 5, 19], [256, 500], [9, 28, 28, 32], [300, 1], [17]];
  for (const shape of SHAPES) {
    it(`values and both gradients equal the cpu backend's: x ${shape}`, async () => {
      const c = shape[shape.length - 1];
      const before = { ...nativeBiasReluStats };
      await sameOnBoth(() => withGrads(input(shape, 70), input([c], 71), input(shape, 72)));
      expect(nativeBiasReluStats.forward - before.forward, 'forward kernels').to.equal(2);
      expect(nativeBiasReluStats.backward - before.backward, 'backward kernels').to.equal(1);
    });
  }

  it('x + bias exactly 0 gets no gradient, as Step(0) = 0 gives on cpu', async () => {
    const f = () => {
      // Small integers: many sums are exactly 0.
      const x = tf.round(tf.mul(input([64, 24], 73), 2)),
        b = tf.round(tf.mul(input([24], 74), 2));
      return withGrads(x, b, input([64, 24], 75));
    };
    const ref = await on('cpu', f),
      got = await on('wasm', f);
    // y and dx exactly (cpu's dx is dy * 0, so -0 where dy < 0: the same zero); dbias to rounding.
    const plain = (a: Float32Array) => Array.from(a, (v) => v + 0);
    for (const i of [0, 1]) expect(plain(got[i]), `output ${i}`).to.deep.equal(plain(ref[i]));
    expect(relErr(got[2], ref[2])).to.be.below(1e-5);
    expect(Array.from(ref[1]).filter((v) => v === 0).length, 'zero gradients').to.be.greaterThan((64 * 24) / 3);
  });

  it('NaN stays NaN in y and in dx, as on cpu', async () => {
    const f = () => {
      const x = tf.tensor2d([
        [NaN, 1, -1],
        [2, NaN, -3],
      ]);
      return withGrads(x, tf.zeros([3]), tf.ones([2, 3]));
    };
    const ref = await on('cpu', f),
      got = await on('wasm', f);
    for (const i of [0, 1]) expect(Array.from(got[i]), `output ${i}`).to.deep.equal(Array.from(ref[i]));
  });

  it('leaves other dtypes and bias shapes to the composed ops, with the same values', async () => {
    const before = { ...nativeBiasReluStats };
    await sameOnBoth(() => [
      biasRelu(input([6, 4], 76), input([1, 4], 77)), // bias not [C]
      biasRelu(input([6, 4], 78), input([6, 4], 79)), // bias the shape of x
      biasRelu(
        tf.tensor2d(
          [
            [-1, 2],
            [3, -4],
          ],
          [2, 2],
          'int32',
        ),
        tf.tensor1d([1, 1], 'int32'),
      ).cast('float32'),
    ]);
    expect(nativeBiasReluStats.forward - before.forward).to.equal(0);
  });

  it('frees every intermediate tensor over a training-like loop', async () => {
    await selectBackend('wasm');
    const w = tf.variable(input([32, 16], 80)),
      b = tf.variable(input([16], 81));
    const x = input([40, 32], 82);
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(biasRelu(tf.matMul(x, w), b)) as tf.Scalar, [w, b]);
        w.assign(tf.sub(w, tf.mul(grads[w.name], 1e-3)));
        b.assign(tf.sub(b, tf.mul(grads[b.name], 1e-3)));
      });
    step();
    const { numTensors, numBytes } = tf.memory();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).to.equal(numTensors);
    expect(tf.memory().numBytes).to.equal(numBytes);
    tf.dispose([w, b, x]);
  });

  it('falls back to relu(add(x, bias)) when the addon is disabled', function () {
    this.timeout(60_000);
    const script = [
      "import { selectBackend, tf, biasRelu } from '@clusterflow/core';",
      "import { tryRegisterNativeKernels, nativeKernelNames } from './packages/core/src/kernels/native-matmul.ts';",
      "await selectBackend('wasm');",
      'const r = await tryRegisterNativeKernels();',
      'const x = tf.tensor2d([[1, -2], [-3, 4]]), b = tf.tensor1d([0.5, 1]);',
      'const y = Array.from(biasRelu(x, b).dataSync());',
      'const [dx, db] = tf.grads((a, c) => tf.sum(biasRelu(a, c)))([x, b]).map((t) => Array.from(t.dataSync()));',
      'console.log(JSON.stringify({ used: r.used, names: nativeKernelNames(), y, dx, db }));',
    ].join('\n');
    const out = spawnSync(process.execPath, ['--conditions=source', '--import=tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, CLUSTERFLOW_NATIVE: '0' },
      encoding: 'utf8',
    });
    expect(out.status, out.stderr).to.equal(0);
    expect(JSON.parse(out.stdout.trim().split('\n').pop()!)).to.deep.equal({
      used: false,
      names: [],
      y: [1.5, 0, 0, 5],
      dx: [1, 0, 0, 1],
      db: [1, 1],
    });
  });
});
