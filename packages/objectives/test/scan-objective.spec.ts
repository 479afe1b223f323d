// The scan objective's behaviour beyond the reference numbers: mining once (and
// not again after a restore), the companions drawn from a copy of the sampler,
// the best head over an epoch, read-outs, the kNN purity diagnostic, the initial
// head, state checks and memory discipline.
import type * as tfc from '@tensorflow/tfjs-core';
import { ConfigError, neighbourPurity, Rng, selectBackend, ShapeError, tf, type ObjectiveContext } from '@clusterflow/core';
import { nearestNeighbors } from '@clusterflow/eval';
import { expect } from 'chai';
import { scanFactory, scanObjectives, scanOptions, ScanObjective } from '../src/scan/index.js';
import { assignState, runServices } from './support/scan.js';
import { runStep } from './support/step.js';

const N = 40;
const F = 6;
/** Four blobs of ten samples, labelled by blob, so neighbours mostly share a label. */
const FEATURES = Array.from({ length: N * F }, (_, i) => {
  const [row, col] = [Math.floor(i / F), i % F];
  return (col === row % 4 ? 3 : 0) + Math.sin(i * 12.9898) * 0.8;
});
const LABELS = Int32Array.from({ length: N }, (_, i) => i % 4);

function setup(over: Partial<ObjectiveContext> = {}, options: Record<string, unknown> = {}) {
  const seen = { embeds: 0, log: [] as string[] };
  const services = runServices({
    features: () => {
      seen.embeds++;
      return tf.tensor2d(FEATURES, [N, F]);
    },
    labels: LABELS,
    log: seen.log,
  });
  const ctx: ObjectiveContext = { featureDim: F, numSamples: N, numClusters: 4, numViews: 1, rng: new Rng(5), services, ...over };
  const objective = scanFactory.create(scanOptions.parse({ numHeads: 3, k: 5, ...options }), ctx) as ScanObjective;
  return { objective, seen, ctx };
}

const indices = Int32Array.from({ length: 8 }, (_, i) => 3 * i);

/** One step as the loop runs it, with random features for the anchors and companions, and an SGD update of the heads. */
async function step(objective: ScanObjective, epoch: number, stepNo: number, seed: number) {
  const plan = await objective.prepare({ indices, epoch, step: stepNo });
  const [anchors, companions] = [0, 1].map((v) => tf.randomNormal([indices.length, F], 0, 1, 'float32', seed + v) as tfc.Tensor2D);
  const out = await runStep(objective, { indices, epoch, step: stepNo, views: [anchors], companions: [companions] }, objective.variables(), (grads) =>
    tf.tidy(() => objective.variables().forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], 0.5))))),
  );
  tf.dispose([anchors, companions]);
  return { plan, out };
}

describe('scan objective', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it("is registered with SCAN's defaults: 10 heads, entropy weight 5, 20 neighbours", () => {
    expect(scanObjectives).to.deep.equal([scanFactory]);
    expect(scanOptions.parse({})).to.deep.equal({ numHeads: 10, entropyWeight: 5, k: 20 });
    expect(() => scanOptions.parse({ neighbours: 5 })).to.throw(/neighbours/);
    const { objective } = setup({}, { numHeads: 10 });
    expect(objective.variables().map((v) => v.shape)).to.deep.equal(Array.from({ length: 10 }, () => [[F, 4], [4]]).flat());
    objective.dispose();
    expect(() => setup({ numSamples: 20 }, { k: 20 })).to.throw(ConfigError, /20 samples/);
  });

  it("mines the run's kNN once, at the first epoch start; a restored state keeps its neighbours and mines nothing", async () => {
    const { objective, seen } = setup();
    const early = await objective.prepare({ indices, epoch: 0, step: 0 }).catch((err: Error) => err);
    expect(early)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/mined at the first epoch start/);
    await objective.onEpochStart();
    const x = tf.tensor2d(FEATURES, [N, F]);
    const { indices: want } = await nearestNeighbors(x, { k: 5 });
    x.dispose();
    expect(Array.from(objective.getState().neighbours as Int32Array)).to.deep.equal(Array.from(want));
    expect(seen.embeds).to.equal(1);
    await objective.onEpochStart();
    expect(seen.embeds, 'mined once').to.equal(1);
    const purity = neighbourPurity(want, 5, LABELS);
    expect(purity).to.be.above(0.5);
    expect(objective.diagnostics()).to.deep.equal({ knnPurity: purity, bestHead: 0 });
    expect(seen.log.join('\n')).to.match(new RegExp(`mined the 5 nearest neighbours of 40 samples \\(kNN purity ${purity.toFixed(3)}\\)`));

    const { objective: resumed, seen: seen2 } = setup();
    resumed.setState(objective.getState());
    await resumed.onEpochStart();
    expect(seen2.embeds, 'a restored run does not mine again').to.equal(0);
    expect(Array.from(resumed.getState().neighbours as Int32Array)).to.deep.equal(Array.from(want));
    objective.dispose();
    resumed.dispose();
  });

  it('neighbour purity counts the pairs that share a label; no labels, no purity', async () => {
    expect(neighbourPurity(Int32Array.of(1, 2, 0, 2, 0, 1), 2, Int32Array.of(7, 7, 3))).to.equal(2 / 6);
    const { objective } = setup({ services: runServices({ features: () => tf.tensor2d(FEATURES, [N, F]) }) });
    await objective.onEpochStart();
    expect(objective.diagnostics()).to.deep.equal({ bestHead: 0 });
    objective.dispose();
  });

  it('prepare draws the companions from a copy of the sampler: the sample or one of its neighbours, self included; commit moves the sampler on', async () => {
    const { objective } = setup();
    await objective.onEpochStart();
    const neighbours = objective.getState().neighbours as Int32Array;
    const first = await objective.prepare({ indices, epoch: 0, step: 0 });
    const again = await objective.prepare({ indices, epoch: 0, step: 0 });
    expect(Array.from(again.companions!), 'no commit, same draw').to.deep.equal(Array.from(first.companions!));
    // Every companion is the sample or one of its k neighbours; over many rows, each of the k + 1 about equally often.
    const many = Int32Array.from({ length: 6000 }, (_, i) => i % N);
    const { companions } = await objective.prepare({ indices: many, epoch: 0, step: 0 });
    const slots = new Array<number>(6).fill(0);
    many.forEach((i, r) => {
      const c = companions![r];
      const slot = c === i ? 0 : 1 + Array.from(neighbours.subarray(i * 5, i * 5 + 5)).indexOf(c);
      expect(slot, `companion ${c} of ${i}`).to.be.at.least(0);
      slots[slot]++;
    });
    for (const n of slots) expect(n / 6000).to.be.closeTo(1 / 6, 0.03);

    const rngBefore = Array.from(objective.getState().rng as Int32Array);
    const { plan } = await step(objective, 0, 0, 1);
    expect(Array.from(plan.companions!)).to.deep.equal(Array.from(first.companions!));
    expect(Array.from(objective.getState().rng as Int32Array), 'commit adopts the advanced sampler').to.not.deep.equal(rngBefore);
    const next = await objective.prepare({ indices, epoch: 0, step: 1 });
    expect(Array.from(next.companions!)).to.not.deep.equal(Array.from(first.companions!));
    objective.dispose();
  });

  it("loss: view 0 against the companions' view 0, parts that add up to the total; a missing companion is an error", async () => {
    const { objective } = setup();
    await objective.onEpochStart();
    const before = tf.memory().numTensors;
    const [a, c, extra] = [0, 1, 2].map((s) => tf.randomNormal([8, F], 0, 1, 'float32', s) as tfc.Tensor2D);
    const values = (views: tfc.Tensor2D[], companions: tfc.Tensor2D[]) => {
      const out = objective.loss({ indices, epoch: 0, step: 0, views, companions });
      const v = [out.total, out.parts.consistency, out.parts.entropy, out.pending!.headLoss].map((t) => Array.from(t.dataSync()));
      tf.dispose([out.total, ...Object.values(out.parts), ...Object.values(out.pending!)]);
      return v;
    };
    const [total, consistency, entropy, perHead] = values([a], [c]);
    expect(total[0]).to.be.closeTo(consistency[0] + entropy[0], 1e-5);
    expect(entropy[0]).to.be.below(0);
    expect(perHead.length).to.equal(3);
    expect(perHead.reduce((s, v) => s + v, 0)).to.be.closeTo(total[0], 1e-5);
    expect(values([a, extra], [c, extra]), 'further views are not used').to.deep.equal(values([a], [c]));
    expect(() => objective.loss({ indices, epoch: 0, step: 0, views: [a] })).to.throw(ShapeError, /companions/);
    tf.dispose([a, c, extra]);
    expect(tf.memory().numTensors).to.equal(before);
    objective.dispose();
  });

  it("the best head has the lowest mean loss of the epoch's steps; the sums start again with each epoch", async () => {
    const { objective } = setup();
    await objective.onEpochStart();
    for (let s = 0; s < 3; s++) await step(objective, 0, s, 10 * s);
    const [epoch, steps] = objective.getState().headLossCount as Int32Array;
    expect([epoch, steps]).to.deep.equal([0, 3]);
    const sums = Array.from(objective.getState().headLoss as Float32Array);
    expect(objective.bestHead()).to.equal(sums.indexOf(Math.min(...sums)));
    const { out } = await step(objective, 1, 3, 99);
    expect(Array.from(objective.getState().headLossCount as Int32Array)).to.deep.equal([1, 1]);
    const restarted = Array.from(objective.getState().headLoss as Float32Array);
    expect(
      restarted.reduce((a, b) => a + b, 0),
      "epoch 1's sums hold its one step",
    ).to.be.closeTo(out.total, 1e-4);
    objective.dispose();
  });

  it("read-outs: 'cluster' is the best head's argmax, then every head's; one head, one read-out; clusterHead() is the best head's live weights", async () => {
    const { objective } = setup();
    await objective.onEpochStart();
    assignState(objective, { headLoss: Float32Array.of(3, -2, 1), headLossCount: Int32Array.of(0, 1) });
    expect(objective.bestHead()).to.equal(1);
    const x = tf.tensor2d(FEATURES, [N, F]);
    const before = tf.memory().numTensors;
    const out = await objective.predict(x);
    expect(Object.keys(out)).to.deep.equal(['cluster', 'head0', 'head1', 'head2']);
    expect(out.cluster).to.deep.equal(out.head1);
    const want = tf.tidy(() => Array.from(tf.argMax(tf.add(tf.matMul(x, objective.variables()[2]), objective.variables()[3]), 1).dataSync()));
    expect(Array.from(out.head1)).to.deep.equal(want);
    expect(tf.memory().numTensors).to.equal(before);
    const head = objective.clusterHead();
    expect(Object.keys(head)).to.deep.equal(['weight', 'bias']);
    expect(head.weight).to.equal(objective.variables()[2]);
    const narrow = tf.zeros([2, 3]) as tfc.Tensor2D;
    expect(await objective.predict(narrow).catch((err: Error) => err)).to.be.instanceOf(ShapeError);
    tf.dispose([x, narrow]);
    objective.dispose();

    const { objective: one } = setup({}, { numHeads: 1 });
    const y = tf.tensor2d(FEATURES, [N, F]);
    expect(Object.keys(await one.predict(y))).to.deep.equal(['cluster']);
    y.dispose();
    one.dispose();
  });

  it('an initial head starts head 0 (the others fresh, as without it); a head of another shape is refused', () => {
    const plain = setup().objective;
    const head = { weight: tf.fill([F, 4], 0.25), bias: tf.tensor1d([1, 2, 3, 4]) };
    const { objective } = setup({ initialHead: head });
    const values = (o: ScanObjective) => o.variables().map((v) => Array.from(v.dataSync()));
    const [got, fresh] = [values(objective), values(plain)];
    expect(got[0]).to.deep.equal(Array.from(head.weight.dataSync()));
    expect(got[1]).to.deep.equal([1, 2, 3, 4]);
    expect(got.slice(2), 'heads 1.. as without an initial head').to.deep.equal(fresh.slice(2));
    expect(got[0]).to.not.deep.equal(fresh[0]);
    objective.dispose();
    plain.dispose();
    const wide = { weight: tf.zeros([F, 5]), bias: tf.zeros([5]) };
    const before = tf.memory().numTensors;
    expect(() => setup({ initialHead: wide })).to.throw(ConfigError, /weight \[6,4\]/);
    expect(() => setup({ initialHead: { '0.weight': head.weight, '0.bias': head.bias } })).to.throw(ConfigError, /linear cluster head/);
    expect(tf.memory().numTensors, 'a refused head leaves nothing behind').to.equal(before);
    tf.dispose([head.weight, head.bias, wide.weight, wide.bias]);
  });

  it('setState refuses a state of another layout and changes nothing then; dispose frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const { objective } = setup();
    await objective.onEpochStart();
    const kept = objective.getState();
    const rng = Array.from(kept.rng as Int32Array);
    expect(() => objective.setState({ ...kept, neighbours: new Int32Array(3) })).to.throw(ShapeError, /neighbours/);
    const { rng: _r, ...missing } = kept;
    expect(() => objective.setState(missing)).to.throw(ShapeError, /rng/);
    expect(Array.from(objective.getState().rng as Int32Array)).to.deep.equal(rng);
    objective.dispose();
    objective.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });
});
