// The SeCu objective's life cycle: options, param groups and the frozen encoder,
// epoch snapshots, state round trips, the size of its host memory at 70,000
// instances × 10 heads, tensor bookkeeping, predict and the collapse signature.
import type * as tfc from '@tensorflow/tfjs-core';
import { ConfigError, Rng, selectBackend, tf, type ObjectiveContext } from '@clusterflow/core';
import { expect } from 'chai';
import { l2Normalize } from '../src/ops/index.js';
import { secuFactory, secuObjectives, secuOptions, type SecuObjective } from '../src/secu/index.js';
import { expectClose } from './support/compare.js';
import { context, lossAndGrads, makeSecu } from './support/secu.js';

/** Two views of `n` samples: a shared random part plus view noise, from a seeded Rng. */
function features(rng: Rng, n: number, dim: number, noise = 0.3): [Float32Array, Float32Array] {
  const base = Float32Array.from({ length: n * dim }, () => rng.normal());
  const view = () => base.map((v) => v + noise * rng.normal());
  return [view(), view()];
}

/** One training step as the loop runs it (prepare, loss + gradients, commit), everything disposed. */
async function step(objective: SecuObjective, views: [Float32Array, Float32Array], dim: number, indices: Int32Array, epoch: number) {
  const b = indices.length;
  const [v1, v2] = views.map((v) => {
    const rows = new Float32Array(b * dim);
    indices.forEach((idx, i) => rows.set(v.subarray(idx * dim, (idx + 1) * dim), i * dim));
    return tf.tensor2d(rows, [b, dim]);
  });
  const out = await lossAndGrads(objective, { indices, views: [v1, v2], epoch, step: 0 }, objective.variables());
  tf.dispose([v1, v2]);
  return out;
}

function range(from: number, to: number): Int32Array {
  return Int32Array.from({ length: to - from }, (_, i) => from + i);
}

/** Runs epoch 0 over all samples in batches of b, then `extra` batches of epoch 1. */
async function train(objective: SecuObjective, views: [Float32Array, Float32Array], dim: number, n: number, b: number) {
  objective.onEpochStart(0);
  for (let s = 0; s < n; s += b) await step(objective, views, dim, range(s, Math.min(n, s + b)), 0);
  objective.onEpochStart(1);
  await step(objective, views, dim, range(0, b), 1);
}

describe('secu objective', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  describe('options', () => {
    it('defaults are the official CIFAR-10 run, with K list and α derived from the context', () => {
      const o = secuOptions.parse({});
      expect(o).to.include({ hidden: 512, dim: 128, tx: 0.05, tw: 0.05, tau: 0.2, constraint: 'size', dualLr: 0.1, lratio: 0.9, clr: 1.2 });
      const cifar = secuFactory.create(o, context({ numClusters: 10, numSamples: 50000, featureDim: 8 })) as SecuObjective;
      expect(cifar.config.ks).to.deep.equal([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
      expect(cifar.config.alpha).to.be.closeTo(6000, 1e-9);
      expect(cifar.config.mainHead).to.equal(0);
      cifar.dispose();
      const c20 = secuFactory.create(secuOptions.parse({ numHeads: 3, hidden: 8, dim: 4 }), context({ numClusters: 20 })) as SecuObjective;
      expect(c20.config.ks).to.deep.equal([20, 40, 60]);
      c20.dispose();
    });

    it('rejects unknown keys, empty K lists, non-positive temperatures, unknown variants', () => {
      expect(secuOptions.safeParse({ temperature: 0.1 }).success).to.equal(false);
      expect(secuOptions.safeParse({ ks: [] }).success).to.equal(false);
      expect(secuOptions.safeParse({ ks: [1] }).success).to.equal(false);
      expect(secuOptions.safeParse({ tx: 0 }).success).to.equal(false);
      expect(secuOptions.safeParse({ tw: -1 }).success).to.equal(false);
      expect(secuOptions.safeParse({ constraint: 'uniform' }).success).to.equal(false);
      expect(secuOptions.safeParse({ lratio: 1.5 }).success).to.equal(false);
      expect(secuOptions.safeParse({ ks: [3, 6], numHeads: 3 }).success).to.equal(false);
      expect(secuOptions.safeParse({ ks: [3, 6], constraint: 'entropy', alpha: 10 }).success).to.equal(true);
    });

    it("refuses a K list without the run's numClusters (nothing to evaluate)", () => {
      expect(() => secuFactory.create(secuOptions.parse({ ks: [4, 8] }), context({ numClusters: 3 }))).to.throw(ConfigError, /numClusters = 3/);
    });
  });

  it('is exported as the factory list, freezes the encoder in epoch 0 and gives the centers their own lr', () => {
    expect(secuObjectives.map((f) => f.id)).to.deep.equal(['secu']);
    const o = makeSecu({ ks: [3, 5], hidden: 8, dim: 4, clr: 0.8 }, context());
    expect([0, 1, 2, 400].map((e) => o.backboneLrScale(e))).to.deep.equal([0, 1, 1, 1]);
    const [group, projection] = o.paramGroups();
    expect(group.lr).to.equal(0.8);
    expect(projection.followsBackbone, 'the projector is frozen with the encoder in epoch 0').to.equal(true);
    expect(projection.lr).to.equal(undefined);
    expect([...group.variables, ...projection.variables]).to.have.members(o.variables());
    expect(group.variables.map((v) => v.shape)).to.deep.equal([
      [4, 3],
      [4, 5],
    ]);
    expect(o.variables()).to.include.members(group.variables);
    expect(o.variables()).to.have.length(2 * 2 + 2 + 2); // two linears with bias, BN γ/β, two centers
    o.dispose();
  });

  it('onEpochStart snapshots normalize(centers); the size variant restarts its counters, the entropy variant does not', async () => {
    for (const constraint of ['size', 'entropy'] as const) {
      const ctx = context({ numSamples: 32 });
      const o = makeSecu({ ks: [3, 5], hidden: 8, dim: 4, constraint, alpha: 5 }, ctx);
      const views = features(new Rng(1), 32, 6);
      o.onEpochStart(0);
      await step(o, views, 6, range(0, 16), 0);
      const counted = Array.from(o.headMemory(0).counts);
      expect(counted.reduce((a, v) => a + v, 0)).to.equal(16);
      // Move the centers, then snapshot.
      const [c0] = o.paramGroups()[0].variables;
      tf.tidy(() => c0.assign(tf.add(c0, tf.randomNormal(c0.shape, 0, 0.5, 'float32', 3))));
      const before = tf.memory().numTensors;
      o.onEpochStart(1);
      expect(tf.memory().numTensors, 'onEpochStart keeps the tensor count').to.equal(before);
      const snap = o.getState()['snapshot.0'] as tfc.Tensor;
      const want = tf.tidy(() => l2Normalize(c0 as tfc.Tensor2D, 0).dataSync());
      expectClose(snap.dataSync(), want, 1e-6, 'snapshot');
      expect(Array.from(o.headMemory(0).counts)).to.deep.equal(constraint === 'size' ? [0, 0, 0] : counted);
      o.dispose();
    }
  });

  for (const constraint of ['size', 'entropy'] as const) {
    it(`${constraint}: getState/setState reproduces the next step's assignments exactly`, async () => {
      const [n, b, dim] = [48, 16, 6];
      const views = features(new Rng(11), n, dim);
      const options = { ks: [3, 5], hidden: 8, dim: 4, constraint, alpha: 8, dualLr: 0.5 };
      const a = makeSecu(options, context({ numSamples: n, rng: new Rng(1) }));
      await train(a, views, dim, n, b);
      const saved = a.getState();
      const restored = makeSecu(options, context({ numSamples: n, rng: new Rng(2) }));
      const fresh = makeSecu(options, context({ numSamples: n, rng: new Rng(2) }));
      restored.setState(saved);
      const next = range(16, 32);
      const la = await step(a, views, dim, next, 1);
      const lr = await step(restored, views, dim, next, 1);
      const lf = await step(fresh, views, dim, next, 1);
      for (const h of [0, 1]) {
        const [ma, mr] = [a.headMemory(h), restored.headMemory(h)];
        expect(Array.from(mr.labels), `labels ${h}`).to.deep.equal(Array.from(ma.labels));
        expect(Array.from(mr.counts), `counts ${h}`).to.deep.equal(Array.from(ma.counts));
        if (constraint === 'size') expect(Array.from(mr.duals!), `duals ${h}`).to.deep.equal(Array.from(ma.duals!));
      }
      expect(lr.total).to.equal(la.total);
      expect(lf.total, 'an objective without the state differs').to.not.equal(la.total);
      // The saved host arrays are copies: training on did not change them.
      expect(Array.from(saved['labels.0'] as Int32Array)).to.not.deep.equal(Array.from(a.headMemory(0).labels));
      [a, restored, fresh].forEach((o) => o.dispose());
    });
  }

  for (const constraint of ['size', 'entropy'] as const) {
    it(`${constraint}: loss() changes no host state; commit() writes the pending labels of every head`, async () => {
      const [n, b, dim] = [32, 16, 6];
      const views = features(new Rng(3), n, dim);
      const o = makeSecu({ ks: [3, 5], hidden: 8, dim: 4, constraint, alpha: 8 }, context({ numSamples: n }));
      await train(o, views, dim, n, b);
      const hostState = () =>
        Object.fromEntries(
          Object.entries(o.getState())
            .filter(([, v]) => ArrayBuffer.isView(v))
            .map(([k, v]) => [k, Array.from(v as Int32Array)]),
        );
      const before = hostState();
      const indices = range(16, 32);
      const [v1, v2] = views.map((v) => tf.tensor2d(v.subarray(16 * dim), [b, dim]));
      const info = { indices, epoch: 1, step: 9 };
      const out = o.loss({ ...info, views: [v1, v2] });
      expect(hostState(), 'after loss()').to.deep.equal(before);
      expect(Object.keys(out.pending!)).to.deep.equal(['labels.0', 'labels.1']);
      const labels = await Promise.all([0, 1].map(async (h) => Array.from(await out.pending![`labels.${h}`].data())));
      await o.commit(info, out.pending!);
      [0, 1].forEach((h) => {
        const mem = o.headMemory(h);
        expect(
          Array.from(indices, (i) => mem.labels[i]),
          `labels of head ${h}`,
        ).to.deep.equal(labels[h]);
        expect(
          mem.counts.reduce((a, c) => a + c, 0),
          `counts of head ${h}`,
        ).to.equal(constraint === 'size' ? 2 * b : n);
      });
      tf.dispose([v1, v2, out.total, ...Object.values(out.parts), ...Object.values(out.pending!)]);
      o.dispose();
    });
  }

  it('setState refuses missing keys, wrong types and shapes, and labels outside [0, K)', () => {
    const o = makeSecu({ ks: [3, 5], hidden: 8, dim: 4 }, context());
    const good = o.getState();
    const { ['duals.1']: _d, ...missing } = good;
    expect(() => o.setState(missing)).to.throw(/missing \[duals.1\]/);
    expect(() => o.setState({ ...good, 'labels.0': new Float32Array(40) })).to.throw(/labels.0/);
    expect(() => o.setState({ ...good, 'labels.0': new Int32Array(39) })).to.throw(/labels.0/);
    expect(() => o.setState({ ...good, 'labels.1': new Int32Array(40).fill(5) })).to.throw(/outside/);
    const wrong = tf.zeros([4, 4]);
    expect(() => o.setState({ ...good, 'centers.0': wrong })).to.throw(/centers.0/);
    wrong.dispose();
    o.dispose();
  });

  it('70,000 instances × 10 heads: host memory is small typed arrays, no per-instance tensors, no tensor growth', async () => {
    const n = 70000;
    const ctx: ObjectiveContext = context({ numSamples: n, numClusters: 10, featureDim: 16 });
    const t0 = tf.memory().numTensors;
    const o = makeSecu({ hidden: 32, dim: 16 }, ctx);
    expect(o.config.ks).to.have.length(10);
    expect(tf.memory().numTensors - t0, 'projector 8 + centers 10 + snapshots 10').to.equal(28);
    let hostBytes = 0;
    const state = o.getState();
    o.config.ks.forEach((k, h) => {
      const m = o.headMemory(h);
      expect(m.labels).to.be.instanceOf(Int32Array);
      expect(m.labels.byteLength).to.equal(4 * n);
      expect(m.counts).to.be.instanceOf(Int32Array);
      expect(m.counts.byteLength).to.equal(4 * k);
      expect(m.duals).to.be.instanceOf(Float32Array);
      expect(m.duals!.byteLength).to.equal(4 * k);
      expect(state[`labels.${h}`]).to.be.instanceOf(Int32Array);
      expect(state[`duals.${h}`]).to.be.instanceOf(Float32Array);
      hostBytes += m.labels.byteLength + m.counts.byteLength + m.duals!.byteLength;
    });
    expect(hostBytes).to.equal(10 * 4 * n + 2 * 4 * 550);
    const rng = new Rng(5);
    const b = 64;
    const views = features(rng, 4 * b, 16);
    const live = tf.memory().numTensors;
    for (let s = 0; s < 4; s++) {
      if (s === 2) o.onEpochStart(1);
      // Random instance ids over all 70,000; the features are the s-th block of rows.
      const indices = Int32Array.from({ length: b }, () => rng.int(n));
      const [v1, v2] = views.map((v) => tf.tensor2d(v.subarray(s * b * 16, (s + 1) * b * 16), [b, 16]));
      await lossAndGrads(o, { indices, views: [v1, v2], epoch: s < 2 ? 0 : 1, step: s }, o.variables());
      tf.dispose([v1, v2]);
      expect(tf.memory().numTensors, `live tensors after step ${s}`).to.equal(live);
    }
    o.dispose();
    expect(tf.memory().numTensors).to.equal(t0);
  });

  it('predict reads out every head, the one with K = numClusters first, without leaking tensors', async () => {
    const o = makeSecu({ ks: [6, 3, 9], hidden: 8, dim: 4 }, context({ numClusters: 3 }));
    const views = features(new Rng(2), 40, 6);
    await train(o, views, 6, 40, 20);
    const x = tf.tensor2d(views[0], [40, 6]);
    const before = tf.memory().numTensors;
    const out = await o.predict(x);
    expect(tf.memory().numTensors).to.equal(before);
    expect(Object.keys(out)).to.deep.equal(['head1-k3', 'head0-k6', 'head2-k9']);
    for (const [name, k] of [
      ['head1-k3', 3],
      ['head0-k6', 6],
      ['head2-k9', 9],
    ] as const) {
      expect(out[name]).to.be.instanceOf(Int32Array);
      expect(out[name]).to.have.length(40);
      expect(
        Array.from(out[name]).every((y) => y >= 0 && y < k),
        name,
      ).to.equal(true);
    }
    // The read-out is the nearest normalised center of the eval-mode projection.
    const state = o.getState();
    const manual = tf.tidy(() => {
      const lin = (h: tfc.Tensor, i: number) =>
        tf.add(tf.matMul(h as tfc.Tensor2D, state[`projection.${i}.weight`] as tfc.Tensor2D), state[`projection.${i}.bias`] as tfc.Tensor);
      let h = lin(x, 0);
      h = tf.add(
        tf.mul(
          tf.div(tf.sub(h, state['projection.1.running_mean'] as tfc.Tensor), tf.sqrt(tf.add(state['projection.1.running_var'] as tfc.Tensor, 1e-5))),
          state['projection.1.weight'] as tfc.Tensor,
        ),
        state['projection.1.bias'] as tfc.Tensor,
      );
      const z = l2Normalize(lin(tf.relu(h), 3) as tfc.Tensor2D, 1);
      return Array.from(tf.argMax(tf.matMul(z, l2Normalize(state['centers.1'] as tfc.Tensor2D, 0)), 1).dataSync());
    });
    expect(Array.from(out['head1-k3'])).to.deep.equal(manual);
    x.dispose();
    o.dispose();
  });

  it('a collapsed run is visible through clusterSizes(): one cluster holds every sample', async () => {
    const [n, b, dim] = [64, 16, 6];
    const one = Float32Array.from({ length: dim }, (_, i) => i - 2);
    const same: [Float32Array, Float32Array] = [new Float32Array(n * dim), new Float32Array(n * dim)];
    for (let i = 0; i < n; i++) same.forEach((v) => v.set(one, i * dim));
    // Tiny dual steps cannot break the tie that identical features create.
    const collapsed = makeSecu({ ks: [4], hidden: 8, dim: 4, dualLr: 1e-6 }, context({ numSamples: n, numClusters: 4 }));
    collapsed.onEpochStart(0);
    for (let s = 0; s < n; s += b) await step(collapsed, same, dim, range(s, s + b), 0);
    const sizes = collapsed.clusterSizes()['head0-k4'];
    expect(Math.max(...sizes), `sizes ${sizes}`).to.equal(n);
    expect(sizes.filter((c) => c > 0)).to.have.length(1);
    // With the official dual step the winner rotates per batch: every size a multiple of B (spec §9).
    const rotating = makeSecu({ ks: [4], hidden: 8, dim: 4 }, context({ numSamples: n, numClusters: 4 }));
    rotating.onEpochStart(0);
    for (let s = 0; s < n; s += b) await step(rotating, same, dim, range(s, s + b), 0);
    const rot = rotating.clusterSizes()['head0-k4'];
    expect(
      rot.every((c) => c % b === 0),
      `sizes ${rot}`,
    ).to.equal(true);
    // Distinct features do not collapse.
    const healthy = makeSecu({ ks: [4], hidden: 8, dim: 4 }, context({ numSamples: n, numClusters: 4 }));
    const views = features(new Rng(9), n, dim);
    healthy.onEpochStart(0);
    for (let s = 0; s < n; s += b) await step(healthy, views, dim, range(s, s + b), 0);
    const ok = healthy.clusterSizes()['head0-k4'];
    expect(ok.reduce((a, v) => a + v, 0)).to.equal(n);
    expect(
      ok.some((c) => c % b !== 0),
      `sizes ${ok}`,
    ).to.equal(true);
    [collapsed, rotating, healthy].forEach((o) => o.dispose());
  });
});
