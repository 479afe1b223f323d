import { expect } from 'chai';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { conv2d, linear, mlpHead, sequential, type Module } from '@clusterflow/backbones';
import { disposeState, expectClose, fixture, maxRelError, toState, toTensor, type Fixed } from './support/reference.js';

// sequential runs a linear or conv2d with a bias followed by tf.relu as core's
// fused biasRelu (one native kernel each way on wasm with @clusterflow/native):
// the outputs still match PyTorch, and values and gradients match the cpu
// backend's composed Add and Relu. Skipped where the fused kernel is not there.

const FUSED = 'ClusterflowBiasRelu';

function load(m: Module, s: Record<string, Fixed>): void {
  const state = toState(s);
  m.setState(state);
  disposeState(state);
}

/** Output and the gradients of sum(y * r) for every variable, on one backend; the kernels that ran. */
async function run(backend: 'cpu' | 'wasm', make: () => Module, x: () => tfc.Tensor): Promise<{ values: Float32Array[]; kernels: string[] }> {
  await selectBackend(backend);
  const m = make();
  const before = tf.memory().numTensors;
  let out: tfc.Tensor[] = [];
  const info = await tf.profile(() => {
    out = tf.tidy(() => {
      const input = x();
      const y = m.apply(input, true);
      const r = tf.sin(tf.reshape(tf.range(0, y.size), y.shape));
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(input, true), r)) as tfc.Scalar, m.variables());
      return [y, ...m.variables().map((v) => grads[v.name])];
    });
  });
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  expect(tf.memory().numTensors, `${backend} tensors leaked`).to.equal(before);
  m.dispose();
  return { values, kernels: info.kernels.map((k) => k.name) };
}

describe('bias + ReLU fused in sequential (wasm)', function () {
  this.timeout(60_000);

  before(async function () {
    await selectBackend('wasm');
    if (!tf.getKernel(FUSED, 'wasm')) {
      console.log('    skipped: no fused bias + ReLU kernel on wasm (@clusterflow/native not loaded)');
      this.skip();
    }
  });

  after(async () => {
    await selectBackend('cpu');
  });

  it('mlpHead without BN still matches PyTorch Linear-ReLU-Linear, through the fused kernel', async () => {
    const f = fixture('heads.json').mlpHeadNoBn;
    const head = mlpHead(f.dims, new Rng(1), { batchNorm: false });
    load(head, f.state);
    const x = toTensor(f.input);
    const info = await tf.profile(() =>
      tf.tidy(() => {
        expectClose(head.apply(x, true), f.output, 1e-5, 1e-6);
      }),
    );
    expect(info.kernelNames).to.include(FUSED);
    expect(info.kernelNames).not.to.include('Relu');
    tf.dispose(x);
    head.dispose();
  });

  const CASES: { name: string; make: () => Module; x: () => tfc.Tensor; fused: number }[] = [
    {
      name: 'linear-relu-linear-relu (odd sizes)',
      make: () => sequential(linear(13, 37, new Rng(2)), tf.relu, linear(37, 7, new Rng(3)), tf.relu),
      x: () => tf.randomNormal([29, 13], 0, 1, 'float32', 4),
      fused: 2,
    },
    {
      name: 'conv2d-relu-maxpool, a bias-less conv2d then relu',
      make: () =>
        sequential(
          conv2d(3, 10, 3, new Rng(5), { padding: 1 }),
          tf.relu,
          (h: tfc.Tensor) => tf.maxPool(h as tfc.Tensor4D, 2, 2, 'valid'),
          conv2d(10, 6, 3, new Rng(6), { bias: false }),
          tf.relu,
        ),
      x: () => tf.randomNormal([3, 11, 9, 3], 0, 1, 'float32', 7),
      fused: 1,
    },
  ];
  for (const c of CASES) {
    it(`${c.name}: values and gradients equal the cpu backend's composed ops`, async () => {
      const ref = await run('cpu', c.make, c.x);
      const got = await run('wasm', c.make, c.x);
      expect(ref.kernels).not.to.include(FUSED);
      expect(got.kernels.filter((k) => k === FUSED).length, 'fused forwards').to.equal(2 * c.fused);
      got.values.forEach((g, i) => expect(maxRelError(g, Array.from(ref.values[i])), `output ${i}`).to.be.below(1e-5));
    });
  }
});
