import { expect } from 'chai';
import { Rng, ShapeError, selectBackend, tf } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { batchNorm, linear, mlpHead, sequential, softmaxHead, type Module } from '@clusterflow/backbones';
import { disposeState, expectClose, fixture, maxRelError, toState, toTensor, type Fixed } from './support/reference.js';

interface BnCase {
  momentum: number;
  eps: number;
  initial: Record<string, Fixed>;
  steps: { input: Fixed; output: Fixed; state: Record<string, Fixed> }[];
  eval: { input: Fixed; output: Fixed };
}

function load(m: Module, s: Record<string, Fixed>): void {
  const state = toState(s);
  m.setState(state);
  disposeState(state);
}

function expectState(m: Module, s: Record<string, Fixed>, what: string): void {
  const state = m.getState();
  expect(Object.keys(state).sort()).to.deep.equal(Object.keys(s).sort());
  for (const k of Object.keys(s)) expectClose(state[k], s[k], 1e-4, 1e-6, `${what} ${k}`);
}

describe('blocks', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  for (const name of ['bn1d', 'bn2d']) {
    it(`batchNorm (${name}) matches PyTorch in training, running-stat updates and inference`, () => {
      const c = fixture<Record<string, BnCase>>('batch_norm.json')[name];
      const dim = c.initial.weight.shape[0];
      const bn = batchNorm(dim, { momentum: c.momentum, eps: c.eps });
      load(bn, c.initial);
      for (const [i, step] of c.steps.entries()) {
        const x = toTensor(step.input);
        const y = bn.apply(x, true);
        expectClose(y, step.output, 1e-4, 1e-5, `step ${i} output`);
        expectState(bn, step.state, `step ${i}`);
        tf.dispose([x, y]);
      }
      const x = toTensor(c.eval.input);
      const y = bn.apply(x, false);
      expectClose(y, c.eval.output, 1e-4, 1e-5, 'eval output');
      // Inference leaves the running statistics alone.
      expectState(bn, c.steps[c.steps.length - 1].state, 'after eval');
      tf.dispose([x, y]);
      bn.dispose();
    });
  }

  it('batchNorm refuses a training batch with one value per channel, as PyTorch does', () => {
    const bn = batchNorm(3);
    const x = tf.ones([1, 3]);
    expect(() => bn.apply(x, true)).to.throw(/more than 1 value per channel/);
    x.dispose();
    bn.dispose();
  });

  it('linear matches PyTorch given the same weights', () => {
    const f = fixture('heads.json').linear;
    const lin = linear(5, 3, new Rng(0));
    load(lin, f.state);
    const x = toTensor(f.input);
    const y = lin.apply(x, false);
    expectClose(y, f.output, 1e-5, 1e-6);
    tf.dispose([x, y]);
    lin.dispose();
  });

  it('linear initialises from U(±1/sqrt(fan_in)), fixed by the seed', () => {
    const a = linear(64, 32, new Rng(5)),
      b = linear(64, 32, new Rng(5)),
      c = linear(64, 32, new Rng(6));
    const wa = a.getState().weight.dataSync(),
      wb = b.getState().weight.dataSync(),
      wc = c.getState().weight.dataSync();
    expect(Array.from(wa)).to.deep.equal(Array.from(wb));
    expect(Array.from(wa)).to.not.deep.equal(Array.from(wc));
    const bound = 1 / 8;
    const max = Math.max(...Array.from(wa).map(Math.abs));
    expect(max)
      .to.be.at.most(bound)
      .and.above(0.9 * bound);
    expect(a.getState().weight.shape).to.deep.equal([64, 32]);
    const bias = a.getState().bias.dataSync();
    expect(Math.max(...Array.from(bias).map(Math.abs))).to.be.at.most(bound);
    expect(linear(4, 2, new Rng(0), { bias: false }).getState()).to.not.have.property('bias');
    [a, b, c].forEach((m) => m.dispose());
  });

  it('mlpHead with BN matches PyTorch Linear-BN-ReLU-Linear in training and inference, softmaxHead too', () => {
    const f = fixture('heads.json').mlpHead;
    const head = mlpHead(f.dims, new Rng(1));
    expect(Object.keys(head.getState()).sort()).to.deep.equal(Object.keys(f.state).sort());
    expect(head.variables()).to.have.length(10); // 3 linears x 2 + 2 BN x 2
    load(head, f.state);
    const x = toTensor(f.input);
    const yTrain = head.apply(x, true);
    expectClose(yTrain, f.trainOutput, 1e-4, 1e-5, 'train');
    expectState(head, f.stateAfterTrain, 'after train');
    const yEval = head.apply(x, false);
    expectClose(yEval, f.evalOutput, 1e-4, 1e-5, 'eval');

    const soft = softmaxHead(f.dims, new Rng(2));
    load(soft, f.stateAfterTrain);
    const p = soft.apply(x, false);
    expectClose(p, f.softmaxEvalOutput, 1e-4, 1e-6, 'softmax');
    tf.dispose([x, yTrain, yEval, p]);
    head.dispose();
    soft.dispose();
  });

  it('mlpHead without BN matches PyTorch Linear-ReLU-Linear', () => {
    const f = fixture('heads.json').mlpHeadNoBn;
    const head = mlpHead(f.dims, new Rng(1), { batchNorm: false });
    expect(Object.keys(head.getState()).sort()).to.deep.equal(['0.bias', '0.weight', '2.bias', '2.weight']);
    load(head, f.state);
    const x = toTensor(f.input);
    const y = head.apply(x, true);
    expectClose(y, f.output, 1e-5, 1e-6);
    tf.dispose([x, y]);
    head.dispose();
  });

  it('getState/setState round-trips a model into another one', () => {
    const a = mlpHead([6, 5, 4], new Rng(10)),
      b = mlpHead([6, 5, 4], new Rng(11));
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 3);
    tf.dispose([a.apply(x, true), a.apply(x, true)]); // move a's running stats off their initial values
    const ya = a.apply(x, false),
      yb0 = b.apply(x, false);
    expect(tf.max(tf.abs(tf.sub(ya, yb0))).dataSync()[0]).to.be.above(1e-3);
    b.setState(a.getState());
    const yb = b.apply(x, false);
    expect(Array.from(yb.dataSync())).to.deep.equal(Array.from(ya.dataSync()));
    // b holds its own values: disposing a does not break it.
    a.dispose();
    const yb2 = b.apply(x, false);
    expect(Array.from(yb2.dataSync())).to.deep.equal(Array.from(ya.dataSync()));
    tf.dispose([x, ya, yb0, yb, yb2]);
    b.dispose();
  });

  it('setState names the key and both shapes on a mismatch, and missing or unexpected keys', () => {
    const m = mlpHead([3, 4, 2], new Rng(0));
    const good = m.getState();
    const bad = { ...good, '3.weight': tf.zeros([5, 2]) };
    expect(() => m.setState(bad)).to.throw(ShapeError, /'3\.weight'.*\[5,2\].*\[4,2\]/);
    const { ['1.running_var']: _dropped, ...missing } = good;
    expect(() => m.setState(missing)).to.throw(ShapeError, /missing '1\.running_var'/);
    expect(() => m.setState({ ...good, extra: tf.scalar(1) })).to.throw(ShapeError, /unexpected 'extra'/);
    tf.dispose([bad['3.weight']]);
    m.dispose();
  });

  it('leaves no tensors behind after a training-mode forward and backward', () => {
    const m = sequential(mlpHead([6, 8, 8], new Rng(0)), tf.relu, linear(8, 3, new Rng(1)));
    const x = tf.randomNormal([5, 6], 0, 1, 'float32', 1);
    const before = tf.memory().numTensors;
    const rvBefore = m.getState()['0.1.running_var'].dataSync().slice();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.apply(x, true))) as tfc.Scalar);
    expect(Object.keys(grads)).to.have.length(m.variables().length);
    for (const v of m.variables()) expect(grads[v.name].shape).to.deep.equal(v.shape);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).to.equal(before);
    expect(Array.from(m.getState()['0.1.running_var'].dataSync())).to.not.deep.equal(Array.from(rvBefore));
    x.dispose();
    m.dispose();
  });

  it('dispose releases every variable', () => {
    const before = tf.memory().numTensors;
    const m = mlpHead([4, 5, 3], new Rng(0));
    expect(tf.memory().numTensors).to.equal(before + 8);
    m.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });
});

describe('batchNorm on wasm', function () {
  this.timeout(60_000);

  after(async () => {
    await selectBackend('cpu');
  });

  /** Training steps of the fixture's module on one backend: outputs and state checked against PyTorch; the gradients returned. */
  async function train(backend: 'cpu' | 'wasm', name: string): Promise<Float32Array[]> {
    await selectBackend(backend);
    const c = fixture<Record<string, BnCase>>('batch_norm.json')[name];
    const bn = batchNorm(c.initial.weight.shape[0], { momentum: c.momentum, eps: c.eps });
    load(bn, c.initial);
    const before = tf.memory().numTensors;
    const grads: Float32Array[] = [];
    for (const [i, step] of c.steps.entries()) {
      const input = toTensor(step.input);
      const x = tf.variable(input, true, `bn-x-${backend}-${name}-${i}`);
      const r = tf.tidy(() => tf.sin(tf.reshape(tf.range(0, x.size), x.shape)));
      const params = [x, ...bn.variables().filter((v) => v.trainable)];
      const { value, grads: g } = tf.variableGrads(() => {
        const y = bn.apply(x, true);
        expectClose(y, step.output, 1e-4, 1e-5, `${backend} step ${i} output`);
        return tf.sum(tf.mul(y, r)) as tfc.Scalar;
      }, params);
      expectState(bn, step.state, `${backend} step ${i}`);
      grads.push(...params.map((p) => g[p.name].dataSync() as Float32Array));
      tf.dispose([value, r, x, input, ...Object.values(g)]);
    }
    expect(tf.memory().numTensors, `${backend} tensors left`).to.equal(before);
    bn.dispose();
    return grads;
  }

  for (const name of ['bn1d', 'bn2d']) {
    it(`batchNorm (${name}) in training matches PyTorch on wasm too, with the cpu backend's gradients`, async () => {
      const ref = await train('cpu', name);
      const got = await train('wasm', name);
      // Where @clusterflow/native is built, wasm runs the fused kernel; elsewhere the same tf ops as cpu.
      const fused = tf.getKernel('ClusterflowBatchNormTrain', 'wasm') !== undefined;
      console.log(`      wasm BatchNorm: ${fused ? 'fused native kernel' : 'tf ops (no native addon)'}`);
      got.forEach((g, i) => expect(maxRelError(g, Array.from(ref[i])), `gradient ${i}`).to.be.below(1e-4));
    });
  }
});
