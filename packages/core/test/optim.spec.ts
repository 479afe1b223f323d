import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Adam, createRegistry, Sgd, adamOptions, selectBackend, sgdOptions, tf, type Optimizer } from '@clusterflow/core';

const ref = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'optim.json'), 'utf8'));

function trajectory(opt: Optimizer): number[][] {
  const params = ref.params.map((p: number[], i: number) => tf.tidy(() => tf.variable(tf.tensor(p, ref.shapes[i]))));
  ref.grads.forEach((gs: number[][], t: number) => {
    const grads = gs.map((g, i) => tf.tensor(g, ref.shapes[i]));
    opt.step([{ variables: params, grads, lr: ref.lrs[t], weightDecay: weightDecayOf(opt) }]);
    tf.dispose(grads);
  });
  const out = params.map((p: tf.Variable) => Array.from(p.dataSync()));
  tf.dispose(params);
  return out;
}

function weightDecayOf(opt: Optimizer): number {
  return (opt as unknown as { options: { weightDecay: number } }).options.weightDecay;
}

function expectClose(actual: number[][], expected: number[][]) {
  actual.forEach((a, i) => a.forEach((v, j) => expect(v, `param ${i}[${j}]`).to.be.closeTo(expected[i][j], 1e-5 * Math.max(1, Math.abs(expected[i][j])))));
}

describe('optimizers match PyTorch', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('SGD with momentum and coupled weight decay', () => {
    const o = ref.cases.sgd.options;
    const opt = new Sgd(sgdOptions.parse({ lr: 0.1, momentum: o.momentum, weightDecay: o.weight_decay }));
    expectClose(trajectory(opt), ref.cases.sgd.final);
    opt.dispose();
  });

  it('SGD with Nesterov momentum', () => {
    const o = ref.cases.sgd_nesterov.options;
    const opt = new Sgd(sgdOptions.parse({ lr: 0.1, momentum: o.momentum, weightDecay: o.weight_decay, nesterov: true }));
    expectClose(trajectory(opt), ref.cases.sgd_nesterov.final);
    opt.dispose();
  });

  it('Adam (decay added to the gradient) and AdamW (decoupled decay)', () => {
    for (const [name, decoupled] of [
      ['adam', false],
      ['adamw', true],
    ] as const) {
      const o = ref.cases[name].options;
      const opt = new Adam(adamOptions.parse({ lr: 0.1, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weight_decay }), decoupled);
      expectClose(trajectory(opt), ref.cases[name].final);
      opt.dispose();
    }
  });

  it('leaves no tensor behind but its slots, and frees them on dispose', () => {
    const before = tf.memory().numTensors;
    const opt = new Sgd(sgdOptions.parse({}));
    trajectory(opt);
    expect(tf.memory().numTensors).to.equal(before + 2); // one momentum buffer per parameter
    opt.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });
});

describe('learning-rate schedules', () => {
  const schedule = (id: string, options: Record<string, unknown> = {}) => createRegistry().build('schedule', { id, options }, {});

  it('warm-up rises linearly, then cosine decays to the floor', () => {
    const s = schedule('warmup-cosine', { warmupEpochs: 10, startFactor: 0, minFactor: 0.01 });
    expect(s.lr(0.2, 0, 110)).to.equal(0);
    expect(s.lr(0.2, 5, 110)).to.be.closeTo(0.1, 1e-12);
    expect(s.lr(0.2, 10, 110)).to.be.closeTo(0.2, 1e-12);
    expect(s.lr(0.2, 60, 110)).to.be.closeTo(0.2 * (0.01 + 0.99 * 0.5), 1e-12);
    expect(s.lr(0.2, 110, 110)).to.be.closeTo(0.002, 1e-12);
  });

  it("follows SeCu's adjust_learning_rate step by step: lr 0 in epoch 0, warm-up over epochs 1-10, cosine after", () => {
    // SeCu main.py with n iterations an epoch, cur = epoch*n + it, W = 11n, T = E*n.
    const n = 7;
    const E = 20;
    const official = (lr: number, cur: number) => {
      const epoch = Math.floor(cur / n);
      if (epoch === 0) return 0;
      if (epoch <= 10) return (lr * Math.max(1, cur - n)) / (11 * n - n);
      return lr * 0.5 * (1 + Math.cos((Math.PI * (cur - 11 * n)) / (E * n - 11 * n)));
    };
    const s = schedule('warmup-cosine', { frozenEpochs: 1, warmupEpochs: 11, startFactor: 0 });
    for (let cur = 0; cur < E * n; cur++) {
      // max(1, ...) lifts the first warm-up step of SeCu's formula off zero: 1/(10n) of lr.
      const tol = cur === n ? (0.2 / (10 * n)) * 1.0001 : 1e-12;
      expect(s.lr(0.2, cur / n, E), `step ${cur}`).to.be.closeTo(official(0.2, cur), tol);
    }
    // firstStepWarm: that step too, given the steps per epoch (the loop passes them).
    const warm = schedule('warmup-cosine', { frozenEpochs: 1, warmupEpochs: 11, startFactor: 0, firstStepWarm: true });
    for (let cur = 0; cur < E * n; cur++) expect(warm.lr(0.2, cur / n, E, n), `step ${cur}`).to.be.closeTo(official(0.2, cur), 1e-12);
    expect(warm.lr(0.2, 1, E, n)).to.be.closeTo(0.2 / (10 * n), 1e-15);
    // Without the steps per epoch there is no step to count: the plain formula.
    expect(warm.lr(0.2, 1, E)).to.equal(0);
  });

  it('constant stays put', () => {
    expect(schedule('constant').lr(0.3, 7.5, 10)).to.equal(0.3);
  });

  it('options are validated by the schedule, naming it', () => {
    expect(() => schedule('warmup-cosine', { warmup: 3 })).to.throw("options of schedule 'warmup-cosine'");
  });
});
