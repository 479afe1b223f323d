// The self-label objective's behaviour beyond the reference numbers: the views it
// needs, the initial head (SCAN's best head), the EMA teacher moved in commit,
// ties in the cap, a batch with no pseudo-label, read-outs, diagnostics and state.
import type * as tfc from '@tensorflow/tfjs-core';
import { ConfigError, Rng, selectBackend, ShapeError, tf, type ObjectiveContext } from '@clusterflow/core';
import { expect } from 'chai';
import { scanOptions, ScanObjective } from '../src/scan/index.js';
import { rulesFor, selectPseudoLabels, selfLabelFactory, selfLabelObjectives, selfLabelOptions, SelfLabelObjective } from '../src/self-label/index.js';
import { assignState, context } from './support/scan.js';
import { runStep } from './support/step.js';

const F = 6;
const K = 4;
const make = (options: Record<string, unknown> = {}, over: Partial<ObjectiveContext> = {}) =>
  selfLabelFactory.create(selfLabelOptions.parse(options), context({ featureDim: F, numClusters: K, numViews: 2, ...over })) as SelfLabelObjective;
const values = (ts: tfc.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

describe('self-label objective', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it("is registered with SCAN's defaults (threshold 0.99, class balancing, no EMA), plus the cap and the fallback", () => {
    expect(selfLabelObjectives).to.deep.equal([selfLabelFactory]);
    expect(selfLabelOptions.parse({})).to.deep.equal({ threshold: 0.99, classBalance: true, maxShare: 2, minShare: 0.1, fallbackShare: 0.5 });
    expect(() => selfLabelOptions.parse({ teacherDecay: 1 })).to.throw();
    const { minConfident, ...counts } = rulesFor(selfLabelOptions.parse({}), 256, 10);
    expect(counts).to.deep.equal({ threshold: 0.99, maxPerClass: 51, fallbackCount: 12, classBalance: true });
    expect(minConfident).to.be.closeTo(2.56, 1e-12);
  });

  it('needs a weak view 0 and a strong view 1', () => {
    expect(() => make({}, { numViews: 1 })).to.throw(ConfigError, /weak view 0 and a strong view 1[\s\S]*pipelines: \[weak, strong\]/);
    const objective = make();
    const x = tf.zeros([4, F]) as tfc.Tensor2D;
    expect(() => objective.loss({ indices: Int32Array.of(0, 1, 2, 3), epoch: 0, step: 0, views: [x] })).to.throw(ShapeError, /2 views|1 views/);
    x.dispose();
    objective.dispose();
  });

  it("starts head and teacher from SCAN's best head, handed over as the loop hands it (a copy, disposed after)", async () => {
    const services = context().services;
    const scan = new ScanObjective(scanOptions.parse({ numHeads: 3, k: 2 }), context({ featureDim: F, numClusters: K, services }));
    assignState(scan, { headLoss: Float32Array.of(1, 0.5, 2), headLossCount: Int32Array.of(0, 1) });
    const handed = Object.fromEntries(Object.entries(scan.clusterHead()).map(([k, t]) => [k, t.clone()]));
    const objective = make({ teacherDecay: 0.5 }, { initialHead: handed });
    tf.dispose(Object.values(handed));
    const best = values(scan.variables().slice(2, 4));
    expect(values(objective.variables())).to.deep.equal(best);
    const state = objective.getState();
    expect(values([state['teacher.weight'] as tfc.Tensor, state['teacher.bias'] as tfc.Tensor])).to.deep.equal(best);
    scan.dispose();
    // A head of another size is refused, with nothing left behind.
    const before = tf.memory().numTensors;
    const wrong = { weight: tf.zeros([F, 3]), bias: tf.zeros([3]) };
    expect(() => make({}, { initialHead: wrong })).to.throw(ConfigError, /linear cluster head/);
    tf.dispose(Object.values(wrong));
    expect(tf.memory().numTensors).to.equal(before);
    objective.dispose();
  });

  it('the EMA teacher moves in commit, after the optimizer step: teacher = d * teacher + (1 - d) * head', async () => {
    const objective = make({ teacherDecay: 0.75 });
    assignState(objective, { 'teacher.weight': new Array(F * K).fill(1), 'teacher.bias': [0, 0, 0, 0] });
    const b = 8;
    const [weak, strong] = [1, 2].map((s) => tf.randomNormal([b, F], 0, 3, 'float32', s) as tfc.Tensor2D);
    const indices = Int32Array.from({ length: b }, (_, i) => i);
    let headAfter: number[][] = [];
    await runStep(objective, { indices, epoch: 0, step: 0, views: [weak, strong] }, objective.variables(), (grads) => {
      tf.tidy(() => objective.variables().forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], 0.1)))));
      headAfter = values(objective.variables());
      const state = objective.getState();
      expect(values([state['teacher.weight'] as tfc.Tensor])[0], 'not before commit').to.deep.equal(new Array(F * K).fill(1));
    });
    const state = objective.getState();
    const [tw, tb] = values([state['teacher.weight'] as tfc.Tensor, state['teacher.bias'] as tfc.Tensor]);
    tw.forEach((v, i) => expect(v).to.be.closeTo(0.75 + 0.25 * headAfter[0][i], 1e-6));
    tb.forEach((v, i) => expect(v).to.be.closeTo(0.25 * headAfter[1][i], 1e-6));
    tf.dispose([weak, strong]);
    objective.dispose();
  });

  it('the cap keeps the most confident rows of a class, ties to the earlier row', () => {
    tf.tidy(() => {
      // Rows 0..5 equally sure of class 0, rows 6, 7 of class 1: a cap of 2 per class (maxShare 1 of B / K = 2).
      const sure = [0.997, 0.001, 0.001, 0.001];
      const probs = tf.tensor2d([...Array(6).fill(sure).flat(), 0.001, 0.997, 0.001, 0.001, 0.001, 0.995, 0.002, 0.002], [8, K]);
      const rules = rulesFor(selfLabelOptions.parse({ maxShare: 1, minShare: 0 }), 8, K);
      const p = selectPseudoLabels(probs as tfc.Tensor2D, rules);
      expect(Array.from(p.selected.dataSync())).to.deep.equal([1, 1, 0, 0, 0, 0, 1, 1]);
      expect(Array.from(p.classWeights.dataSync())).to.deep.equal([2, 2, 1, 1]);
    });
  });

  it('a batch with no pseudo-label gives a zero loss and zero gradients, not an error (SCAN raises)', async () => {
    const objective = make({ minShare: 0 });
    const b = 8;
    const [weak, strong] = [3, 4].map((s) => tf.randomNormal([b, F], 0, 0.01, 'float32', s) as tfc.Tensor2D);
    const indices = Int32Array.from({ length: b }, (_, i) => i);
    const out = await runStep(objective, { indices, epoch: 0, step: 0, views: [weak, strong] }, objective.variables());
    expect(out.total).to.equal(0);
    for (const g of out.grads) expect(Array.from(g).every((v) => v === 0)).to.equal(true);
    expect(objective.diagnostics()).to.deep.equal({ confidentFraction: 0, selectedFraction: 0, fallbackClasses: 0 });
    tf.dispose([weak, strong]);
    objective.dispose();
  });

  it("read-outs 'cluster' (the head) and 'teacher'; diagnostics count an epoch at a time; state round trip and refusal", async () => {
    const objective = make({ teacherDecay: 0.9 });
    assignState(objective, { 'teacher.weight': new Array(F * K).fill(0).map((_, i) => (i % K === 2 ? 1 : 0)), 'teacher.bias': [0, 0, 5, 0] });
    const x = tf.randomNormal([10, F], 0, 1, 'float32', 7) as tfc.Tensor2D;
    const out = await objective.predict(x);
    expect(Object.keys(out)).to.deep.equal(['cluster', 'teacher']);
    expect(Array.from(out.teacher)).to.deep.equal(new Array(10).fill(2));
    const want = tf.tidy(() => Array.from(tf.argMax(tf.add(tf.matMul(x, objective.variables()[0]), objective.variables()[1]), 1).dataSync()));
    expect(Array.from(out.cluster)).to.deep.equal(want);
    x.dispose();

    const counts = (c: number[]) => ({ counts: tf.tensor1d(c) });
    const commit = async (epoch: number, c: number[]) => {
      const pending = counts(c);
      await objective.commit({ indices: new Int32Array(10), epoch, step: 0 }, pending);
      pending.counts.dispose();
    };
    await commit(0, [4, 6, 1]);
    await commit(0, [2, 4, 0]);
    expect(objective.diagnostics()).to.deep.equal({ confidentFraction: 0.3, selectedFraction: 0.5, fallbackClasses: 0.5 });
    await commit(1, [10, 10, 2]);
    expect(objective.diagnostics()).to.deep.equal({ confidentFraction: 1, selectedFraction: 1, fallbackClasses: 2 });

    const copy = make({ teacherDecay: 0.9 });
    const kept = objective.getState();
    copy.setState(kept);
    expect(Array.from(copy.getState().stats as Int32Array)).to.deep.equal(Array.from(kept.stats as Int32Array));
    const plain = make();
    expect(() => plain.setState(kept)).to.throw(ShapeError, /teacher/);
    plain.dispose();
    const before = tf.memory().numTensors;
    objective.dispose();
    copy.dispose();
    expect(tf.memory().numTensors).to.equal(before - 8);
  });
});
