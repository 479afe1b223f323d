// The concurl objective's behaviour beyond the reference numbers: defaults, state
// round trips, the bank's scatter update in commit, the sampler and prototypes
// changed only by commit, memory discipline, read-outs.
import type * as tfc from '@tensorflow/tfjs-core';
import { AbortError, Rng, selectBackend, ShapeError, tf, type ObjectiveBatch, type ObjectiveContext } from '@clusterflow/core';
import { expect } from 'chai';
import { concurlFactory, concurlObjectives, concurlOptions, ConcurlObjective, momentumRows } from '../src/concurl/index.js';
import { testServices } from './support/services.js';
import { runStep } from './support/step.js';

function context(over: Partial<ObjectiveContext> = {}): ObjectiveContext {
  return { featureDim: 8, numSamples: 30, numClusters: 3, numViews: 2, rng: new Rng(11), services: testServices(), ...over };
}

/** Small heads so each test stays fast; everything else at its released default. */
const SMALL = { exemplarDim: 6, projectionHidden: 16, projectionDim: 10, numProjections: 4, randomDim: 5 };

function make(options: Record<string, unknown> = {}, ctx = context()): ConcurlObjective {
  return concurlFactory.create(concurlOptions.parse({ ...SMALL, ...options }), ctx) as ConcurlObjective;
}

function batchOf(ctx: ObjectiveContext, indices: number[], seed: number, step = 0): ObjectiveBatch {
  const views = [0, 1].map((v) => tf.randomNormal([indices.length, ctx.featureDim], 0, 1, 'float32', seed + v) as tfc.Tensor2D);
  return { indices: Int32Array.from(indices), views, epoch: 0, step };
}

/** The loss values of a step that is prepared and computed but never committed. */
async function lossValues(objective: ConcurlObjective, batch: ObjectiveBatch): Promise<Record<string, number>> {
  const plan = await objective.prepare(batch);
  const out = objective.loss(batch, plan);
  const values: Record<string, number> = { total: out.total.dataSync()[0] };
  for (const [k, t] of Object.entries(out.parts)) values[k] = t.dataSync()[0];
  tf.dispose([out.total, ...Object.values(out.parts), ...Object.values(out.pending ?? {})]);
  return values;
}

/** One training step as the loop runs it: prepare, loss inside variableGrads, an SGD update, commit. */
async function trainStep(objective: ConcurlObjective, batch: ObjectiveBatch, lr = 0.1): Promise<void> {
  await runStep(objective, batch, objective.variables(), (grads) =>
    tf.tidy(() => {
      for (const v of objective.variables()) {
        const g = grads[v.name];
        if (g) v.assign(tf.sub(v, tf.mul(g, lr)));
      }
    }),
  );
}

const read = (t: unknown) => Array.from((t as tfc.Tensor).dataSync());

describe('concurl objective', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('is exported as the factory list with the released defaults', () => {
    expect(concurlObjectives).to.deep.equal([concurlFactory]);
    expect(concurlFactory.id).to.equal('concurl');
    const o = concurlOptions.parse({});
    expect(o).to.deep.include({
      exemplarDim: 128,
      exemplarTemperature: 0.85,
      bankMomentum: 0.5,
      negatives: 0,
      projectionHidden: 2048,
      projectionDim: 256,
      numProjections: 64,
      randomDim: 152,
      epsilon: 0.05,
      sinkhornIterations: 3,
      temperature: 0.1,
      alpha: 0,
      beta: 1,
      gamma: 1,
      trainPrototypes: false,
    });
    expect(o.numPrototypes).to.equal(undefined);
    expect(() => concurlOptions.parse({ tau: 0.5 })).to.throw(/tau/);
    expect(() => concurlOptions.parse({ epsilon: 0 })).to.throw();
  });

  it('builds the released shapes: bank N x 128 of unit rows, 64 projections 256 x 152, K = numClusters', () => {
    const ctx = context({ featureDim: 4, numSamples: 50, numClusters: 7 });
    const objective = concurlFactory.create(concurlOptions.parse({}), ctx) as ConcurlObjective;
    const st = objective.getState();
    expect((st.bank as tfc.Tensor).shape).to.deep.equal([50, 128]);
    expect((st.projections as tfc.Tensor).shape).to.deep.equal([64, 256, 152]);
    expect((st.prototypes as tfc.Tensor).shape).to.deep.equal([256, 7]);
    expect((st['head.0.weight'] as tfc.Tensor).shape).to.deep.equal([4, 2048]);
    expect((st['exemplar.weight'] as tfc.Tensor).shape).to.deep.equal([4, 128]);
    const norms = tf.tidy(() => tf.norm(st.bank as tfc.Tensor, 'euclidean', 1).dataSync());
    for (const n of norms) expect(n).to.be.closeTo(1, 1e-5);
    // Prototypes have no gradient by default.
    expect(objective.variables()).to.not.include(st.prototypes);
    expect(objective.numPrototypes).to.equal(7);
    objective.dispose();
  });

  it('reports the parts whose weight is > 0 (population always) and sums them into the total', async () => {
    const ctx = context();
    const b = batchOf(ctx, [0, 4, 9, 13, 21], 1);
    const full = make({ alpha: 0.3, beta: 0.7, gamma: 2 }, ctx);
    const v = await lossValues(full, b);
    expect(Object.keys(v).sort()).to.deep.equal(['consensus', 'exemplar', 'population', 'total']);
    expect(v.total).to.be.closeTo(0.3 * v.population + 0.7 * v.exemplar + 2 * v.consensus, 1e-5);
    full.dispose();
    const released = make({}, context());
    const r = await lossValues(released, b);
    expect(r.total).to.be.closeTo(r.exemplar + r.consensus, 1e-5);
    released.dispose();
    const noBank = make({ beta: 0, gamma: 0, alpha: 1 }, context());
    const bankBefore = read(noBank.getState().bank);
    const n = await lossValues(noBank, b);
    expect(Object.keys(n).sort()).to.deep.equal(['population', 'total']);
    expect(n.total).to.be.closeTo(n.population, 1e-6);
    await trainStep(noBank, b);
    expect(read(noBank.getState().bank)).to.deep.equal(bankBefore);
    noBank.dispose();
    tf.dispose(b.views);
  });

  it('commit scatters normalise(m·M[i] + (1-m)·v_i) into the batch rows of the same bank variable, others untouched', async () => {
    const ctx = context();
    const objective = make({}, ctx);
    const indices = [3, 17, 0, 29];
    const b = batchOf(ctx, indices, 5);
    const bank = objective.getState().bank as tfc.Variable;
    const before = read(bank);
    const out = objective.loss(b);
    expect(Object.keys(out.pending!)).to.deep.equal(['v']);
    expect(read(bank), 'loss() leaves the bank').to.deep.equal(before);
    // The vectors the loss used (exemplar branch on view 1), computed independently.
    const st = objective.getState();
    const expectedRows = tf.tidy(() => {
      const v = tf.add(tf.matMul(b.views[0], st['exemplar.weight'] as tfc.Tensor2D), st['exemplar.bias'] as tfc.Tensor);
      const vn = tf.div(v, tf.norm(v, 'euclidean', 1, true)) as tfc.Tensor2D;
      const old = tf.gather(bank, Int32Array.from(indices)) as tfc.Tensor2D;
      return momentumRows(old, vn, 0.5).dataSync();
    });
    await objective.commit(b, out.pending!);
    tf.dispose([out.total, ...Object.values(out.parts), ...Object.values(out.pending!)]);
    expect(objective.getState().bank).to.equal(bank);
    const after = read(bank);
    const d = 6;
    for (let row = 0; row < 30; row++) {
      const slot = indices.indexOf(row);
      for (let j = 0; j < d; j++) {
        const got = after[row * d + j];
        if (slot < 0) expect(got).to.equal(before[row * d + j]);
        else expect(got).to.be.closeTo(expectedRows[slot * d + j], 1e-6);
      }
      if (slot >= 0) {
        const norm = Math.hypot(...after.slice(row * d, row * d + d));
        expect(norm).to.be.closeTo(1, 1e-5);
        expect(after.slice(row * d, row * d + d)).to.not.deep.equal(before.slice(row * d, row * d + d));
      }
    }
    objective.dispose();
    tf.dispose(b.views);
  });

  it('negatives come from a copy of the sampler in prepare(); only commit() moves the sampler on', async () => {
    const ctx = context();
    const objective = make({ negatives: 5 }, ctx);
    const b = batchOf(ctx, [1, 8, 15], 21);
    const rng = () => Array.from(objective.getState().rng as Int32Array);
    const start = rng();
    expect(() => objective.loss(b), 'loss() without prepare()').to.throw(/prepare/);
    // An uncommitted step, twice: same negatives, same loss, sampler untouched.
    const first = await lossValues(objective, b);
    expect(rng()).to.deep.equal(start);
    expect(await lossValues(objective, b)).to.deep.equal(first);
    expect(rng()).to.deep.equal(start);
    const plan = await objective.prepare(b);
    expect(() => objective.loss({ ...b, step: 1 }, plan), 'loss() of another step than prepared').to.throw(/prepare/);
    // A committed step advances it by B·n draws, as drawing from the sampler itself would.
    await trainStep(objective, b);
    const expected = new Rng(Uint32Array.from(start, (w) => w >>> 0));
    for (let i = 0; i < 3 * 5; i++) expected.int(30);
    expect(rng()).to.deep.equal(Array.from(expected.getState(), (w) => w | 0));
    objective.dispose();
    tf.dispose(b.views);
  });

  it('trained prototypes: loss() leaves them, commit() returns them to unit columns after the step', async () => {
    const ctx = context();
    const objective = make({ trainPrototypes: true, alpha: 1 }, ctx);
    const b = batchOf(ctx, [2, 5, 7, 11], 4);
    const prototypes = objective.getState().prototypes as tfc.Variable;
    const norms = () => tf.tidy(() => Array.from(tf.norm(prototypes, 'euclidean', 0).dataSync()));
    for (const n of norms()) expect(n).to.be.closeTo(1, 1e-6);
    const before = read(prototypes);
    await lossValues(objective, b);
    expect(read(prototypes), 'loss() assigns nothing').to.deep.equal(before);
    let stepped: number[] = [];
    await runStep(objective, b, objective.variables(), (grads) => {
      tf.tidy(() => prototypes.assign(tf.sub(prototypes, tf.mul(grads[prototypes.name], 5))));
      stepped = norms();
    });
    expect(
      stepped.some((n) => Math.abs(n - 1) > 1e-3),
      `norms after the SGD step ${stepped}`,
    ).to.equal(true);
    for (const n of norms()) expect(n).to.be.closeTo(1, 1e-6);
    objective.dispose();
    tf.dispose(b.views);
  });

  it('setState normalises prototypes that are not unit columns and keeps unit ones bit for bit', () => {
    const a = make();
    const b = make({}, context({ rng: new Rng(4) }));
    const unit = read(a.getState().prototypes);
    b.setState(a.getState());
    expect(read(b.getState().prototypes)).to.deep.equal(unit);
    const scaled = tf.mul(a.getState().prototypes as tfc.Tensor, 3);
    b.setState({ ...a.getState(), prototypes: scaled });
    const got = read(b.getState().prototypes);
    unit.forEach((u, i) => expect(got[i]).to.be.closeTo(u, 1e-6));
    scaled.dispose();
    [a, b].forEach((o) => o.dispose());
  });

  it('momentumRows: m = 1 keeps the bank row, m = 0 takes the new vector', () => {
    const old = tf.tensor2d([[0.6, 0.8]]);
    const v = tf.tensor2d([[1, 0]]);
    const keep = momentumRows(old, v, 1);
    const take = momentumRows(old, v, 0);
    const half = momentumRows(old, v, 0.5);
    expect(read(keep)).to.deep.equal(read(old));
    expect(read(take)).to.deep.equal([1, 0]);
    const h = read(half);
    const n = Math.hypot(0.8, 0.4);
    expect(h[0]).to.be.closeTo(0.8 / n, 1e-6);
    expect(h[1]).to.be.closeTo(0.4 / n, 1e-6);
    tf.dispose([old, v, keep, take, half]);
  });

  for (const negatives of [0, 7]) {
    it(`a restored objective gives the identical loss on the same batch (negatives ${negatives})`, async () => {
      const ctx = context();
      const a = make({ negatives, alpha: 0.5 }, ctx);
      for (let s = 0; s < 2; s++) {
        const b = batchOf(ctx, [s, 10 + s, 20 + s, 5 + s], 100 + s, s);
        await trainStep(a, b);
        tf.dispose(b.views);
      }
      const probe = batchOf(ctx, [1, 2, 11, 28, 6], 7, 2);
      const b = make({ negatives, alpha: 0.5 }, context({ rng: new Rng(999) }));
      const fresh = await lossValues(b, probe);
      b.setState(a.getState());
      const restored = await lossValues(b, probe);
      const original = await lossValues(a, probe);
      expect(restored).to.deep.equal(original);
      // A fresh objective (other bank, projections, heads) differs: the comparison can fail.
      expect(fresh.total).to.not.equal(original.total);
      expect(fresh.consensus).to.not.equal(original.consensus);
      a.dispose();
      b.dispose();
      tf.dispose(probe.views);
    });
  }

  it('setState refuses missing keys, wrong shapes and wrong kinds', () => {
    const objective = make();
    const st = objective.getState();
    const { projections: _p, ...missing } = st;
    expect(() => objective.setState(missing)).to.throw(ShapeError, /projections/);
    const bad = tf.zeros([2, 2]);
    expect(() => objective.setState({ ...st, bank: bad })).to.throw(ShapeError, /bank/);
    expect(() => objective.setState({ ...st, rng: new Float32Array(4) })).to.throw(ShapeError, /rng/);
    expect(() => objective.setState({ ...st, extra: bad })).to.throw(ShapeError, /extra/);
    bad.dispose();
    objective.dispose();
  });

  it('leaks no tensors across prepare + loss + gradient + update + commit, nor across predict', async () => {
    const ctx = context();
    const objective = make({ negatives: 5, alpha: 1, trainPrototypes: true }, ctx);
    const b = batchOf(ctx, [2, 4, 6, 8], 3);
    await trainStep(objective, b); // first step creates nothing lasting either, but warm up kernels
    const before = tf.memory().numTensors;
    for (let s = 1; s < 3; s++) await trainStep(objective, { ...b, step: s });
    expect(tf.memory().numTensors).to.equal(before);
    const features = tf.randomNormal([25, 8], 0, 1, 'float32', 4) as tfc.Tensor2D;
    const mid = tf.memory().numTensors;
    await objective.predict(features);
    expect(tf.memory().numTensors).to.equal(mid);
    tf.dispose([features, ...b.views]);
    const end = tf.memory().numTensors;
    objective.dispose();
    // exemplar (2) + head (8 with BN statistics) + prototypes + bank + projections.
    expect(tf.memory().numTensors).to.equal(end - 13);
  });

  it('predict: k-means on the exemplar vectors first, prototype argmax second, chunking does not matter', async () => {
    const ctx = context({ featureDim: 8, numSamples: 60, numClusters: 3 });
    const objective = make({ exemplarDim: 8, predictBatch: 7 }, ctx);
    // Three tight, well-separated groups of features.
    const rng = new Rng(3);
    const centres = [0, 1, 2].map(() => Array.from({ length: 8 }, () => 4 * rng.normal()));
    const rows: number[][] = [];
    const truth: number[] = [];
    for (let i = 0; i < 60; i++) {
      const g = i % 3;
      truth.push(g);
      rows.push(centres[g].map((c) => c + 0.01 * rng.normal()));
    }
    const features = tf.tensor2d(rows);
    const out = await objective.predict(features);
    expect(Object.keys(out)).to.deep.equal(['kmeans', 'prototypes']);
    expect(out.kmeans.length).to.equal(60);
    // k-means recovers the three groups exactly (up to relabelling).
    const map = new Map<number, number>();
    for (let i = 0; i < 60; i++) {
      if (!map.has(truth[i])) map.set(truth[i], out.kmeans[i]);
      expect(out.kmeans[i]).to.equal(map.get(truth[i]));
    }
    expect(new Set(map.values()).size).to.equal(3);
    // Prototype read-out equals a one-chunk run and lies in [0, K).
    const whole = make({ exemplarDim: 8, predictBatch: 1000 }, ctx);
    whole.setState(objective.getState());
    const again = await whole.predict(features);
    expect(Array.from(again.prototypes)).to.deep.equal(Array.from(out.prototypes));
    expect(Array.from(again.kmeans)).to.deep.equal(Array.from(out.kmeans));
    for (const l of out.prototypes) expect(l).to.be.within(0, 2);
    features.dispose();
    objective.dispose();
    whole.dispose();
  });

  it('predict stops on an aborted signal with AbortError, leaving no tensors', async () => {
    const objective = make();
    const features = tf.randomNormal([25, 8], 0, 1, 'float32', 4) as tfc.Tensor2D;
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    controller.abort();
    let error: unknown;
    await objective.predict(features, { signal: controller.signal }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(AbortError);
    expect(tf.memory().numTensors).to.equal(before);
    features.dispose();
    objective.dispose();
  });

  it('rejects views of the wrong shape and fewer than 2 views', () => {
    const ctx = context();
    expect(() => make({}, context({ numViews: 1 }))).to.throw(ShapeError, /2 views/);
    const objective = make({}, ctx);
    const wrong = tf.zeros([4, 5]) as tfc.Tensor2D;
    const ok = tf.zeros([4, 8]) as tfc.Tensor2D;
    const idx = Int32Array.of(0, 1, 2, 3);
    expect(() => objective.loss({ indices: idx, views: [ok, wrong], epoch: 0, step: 0 })).to.throw(ShapeError);
    expect(() => objective.loss({ indices: idx, views: [ok], epoch: 0, step: 0 })).to.throw(ShapeError);
    tf.dispose([wrong, ok]);
    objective.dispose();
  });

  it('a 70,000-image bank is one 70,000 x 128 float32 tensor (35.8 MB) and a step does not grow memory', async () => {
    const ctx = context({ featureDim: 8, numSamples: 70_000, numClusters: 10 });
    const bytes0 = tf.memory().numBytes;
    const objective = make({ exemplarDim: 128 }, ctx);
    const bank = objective.getState().bank as tfc.Tensor;
    expect(bank.shape).to.deep.equal([70_000, 128]);
    expect(bank.dtype).to.equal('float32');
    expect(tf.memory().numBytes - bytes0).to.be.at.least(70_000 * 128 * 4);
    const b = batchOf(ctx, [5, 69_999, 31_337, 0, 123, 40_000, 7, 8], 9);
    await trainStep(objective, b);
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const t0 = Date.now();
    await trainStep(objective, { ...b, step: 1 });
    const ms = Date.now() - t0;
    expect(tf.memory().numTensors).to.equal(tensors);
    expect(tf.memory().numBytes).to.equal(bytes);
    if (process.env.CONCURL_REPORT) console.log(`    one step with a 70,000 x 128 bank, batch 8: ${ms} ms`);
    objective.dispose();
    tf.dispose(b.views);
  });
});
