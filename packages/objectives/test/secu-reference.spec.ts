// SeCu against the PyTorch reference written from the spec (fixtures/make_secu.py):
// loss, gradients w.r.t. centers and input features, one SGD step of the centers,
// and one assignment step of each variant (epoch 0 and >= 1).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as tfc from '@tensorflow/tfjs-core';
import { selectBackend, tf, type ObjectiveState } from '@clusterflow/core';
import { expect } from 'chai';
import { expectClose } from './support/compare.js';
import { context, lossAndGrads, makeSecu } from './support/secu.js';

interface HeadState {
  labels: number[];
  counts: number[];
  duals: number[] | null;
}
interface Fixture {
  config: {
    featureDim: number;
    hidden: number;
    dim: number;
    batch: number;
    numSamples: number;
    ks: number[];
    tx: number;
    tw: number;
    tau: number;
    dualLr: number;
    lratio: number;
    alpha: number;
    clr: number;
    momentum: number;
    weightDecay: number;
  };
  inputs: {
    head: Record<string, { shape: number[]; values: number[] }>;
    view1: number[];
    view2: number[];
    indices: number[];
    centers: number[][];
    snapshots: number[][];
    momentumBuffers: number[][];
  };
  cases: {
    name: string;
    constraint: 'size' | 'entropy';
    epoch: number;
    initial: HeadState[];
    expected: {
      labels: number[][];
      state: HeadState[];
      total: number;
      representation: number;
      center: number;
      gradCenters: number[][];
      gradView1: number[];
      gradView2: number[];
      centersAfterStep: number[][];
    };
  }[];
}

/** Tensors an objective owns: the projector's 8 (2 linear × 2 + BN × 4), a center and a snapshot per head. */
const objectiveTensors = (heads: number) => 8 + 2 * heads;

const fixture: Fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/secu.json', import.meta.url)), 'utf8'));

describe('secu vs the PyTorch reference', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  const cfg = fixture.config;

  it('covers both variants in epoch 0 and epoch >= 1', () => {
    const names = fixture.cases.map((c) => `${c.constraint}-${c.epoch === 0 ? 0 : 1}`);
    expect(new Set(names)).to.have.all.keys('size-0', 'size-1', 'entropy-0', 'entropy-1');
  });

  for (const c of fixture.cases) {
    it(`${c.name}: labels, memory, duals/counts, losses, gradients and the center SGD step`, async () => {
      const { dim, ks } = cfg;
      const objective = makeSecu(
        {
          ks,
          hidden: cfg.hidden,
          dim,
          tx: cfg.tx,
          tw: cfg.tw,
          tau: cfg.tau,
          constraint: c.constraint,
          dualLr: cfg.dualLr,
          lratio: cfg.lratio,
          alpha: cfg.alpha,
          clr: cfg.clr,
        },
        context({ featureDim: cfg.featureDim, numSamples: cfg.numSamples, numClusters: ks[0] }),
      );
      const made: tfc.Tensor[] = [];
      const keep = <T extends tfc.Tensor>(t: T) => (made.push(t), t);
      const state: ObjectiveState = {};
      for (const [key, { shape, values }] of Object.entries(fixture.inputs.head)) {
        state[`projection.${key}`] = keep(tf.tensor(values, shape));
      }
      ks.forEach((k, h) => {
        state[`centers.${h}`] = keep(tf.tensor2d(fixture.inputs.centers[h], [dim, k]));
        state[`snapshot.${h}`] = keep(tf.tensor2d(fixture.inputs.snapshots[h], [dim, k]));
        state[`labels.${h}`] = Int32Array.from(c.initial[h].labels);
        state[`counts.${h}`] = Int32Array.from(c.initial[h].counts);
        if (c.constraint === 'size') state[`duals.${h}`] = Float32Array.from(c.initial[h].duals!);
      });
      const beforeAll = tf.memory().numTensors - made.length;
      objective.setState(state);
      for (const t of made) t.dispose();

      const before = tf.memory().numTensors;
      const b = cfg.batch;
      const x1 = tf.tidy(() => tf.variable(tf.tensor2d(fixture.inputs.view1, [b, cfg.featureDim])));
      const x2 = tf.tidy(() => tf.variable(tf.tensor2d(fixture.inputs.view2, [b, cfg.featureDim])));
      const centers = objective.paramGroups()[0].variables;
      const batch = { indices: Int32Array.from(fixture.inputs.indices), views: [x1, x2] as tfc.Tensor2D[], epoch: c.epoch, step: 5 };
      const out = await lossAndGrads(objective, batch, [...centers, x1, x2]);

      const e = c.expected;
      // Assignments: exact.
      ks.forEach((_, h) => {
        const mem = objective.headMemory(h);
        const got = Array.from(fixture.inputs.indices, (i) => mem.labels[i]);
        expect(got, `labels of head ${h}`).to.deep.equal(e.labels[h]);
        expect(Array.from(mem.labels), `label memory of head ${h}`).to.deep.equal(e.state[h].labels);
        expect(Array.from(mem.counts), `counts of head ${h}`).to.deep.equal(e.state[h].counts);
        if (c.constraint === 'size') expectClose(mem.duals!, e.state[h].duals!, 1e-6, `duals of head ${h}`);
        else expect(mem.duals).to.equal(undefined);
      });
      // Losses and gradients: 1e-5 relative.
      expectClose([out.total], [e.total], 1e-5, 'total');
      expectClose([out.parts.representation], [e.representation], 1e-5, 'representation');
      expectClose([out.parts.center], [e.center], 1e-5, 'center');
      ks.forEach((_, h) => expectClose(out.grads[h], e.gradCenters[h], 1e-5, `d/d centers ${h}`));
      expectClose(out.grads[ks.length], e.gradView1, 1e-5, 'd/d view 1');
      expectClose(out.grads[ks.length + 1], e.gradView2, 1e-5, 'd/d view 2');

      // One PyTorch SGD step of the centers at the constant clr of their param group:
      // buf = m·buf0 + (g + wd·p); p -= clr·buf.
      expect(objective.paramGroups()[0].lr).to.equal(cfg.clr);
      ks.forEach((_, h) => {
        const p = centers[h].dataSync();
        const buf0 = fixture.inputs.momentumBuffers[h];
        const next = Array.from(p, (v, i) => {
          const buf = cfg.momentum * buf0[i] + (out.grads[h][i] + cfg.weightDecay * v);
          return v - cfg.clr * buf;
        });
        expectClose(next, e.centersAfterStep[h], 1e-5, `centers ${h} after the step`);
      });
      x1.dispose();
      x2.dispose();
      expect(tf.memory().numTensors, 'live tensors around loss + gradient').to.equal(before);
      objective.dispose();
      expect(tf.memory().numTensors, 'tensors left after dispose').to.equal(beforeAll - objectiveTensors(ks.length));
    });
  }
});
