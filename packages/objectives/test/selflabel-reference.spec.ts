// self-label against the PyTorch reference written from the official code
// (fixtures/make_selflabel.py): which rows get which pseudo-label (threshold,
// cap per class, SPICE's fallback), the class weights, the loss and its gradients
// w.r.t. the strong and weak features and the head.
import { readFileSync } from 'node:fs';
import type * as tfc from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { expect } from 'chai';
import { rulesFor, selectPseudoLabels, selfLabelOptions, SelfLabelObjective } from '../src/self-label/index.js';
import { assignState, context } from './support/scan.js';
import { expectClose } from './support/compare.js';
import { runStep } from './support/step.js';

interface Rules {
  threshold: number;
  classBalance: boolean;
  maxShare: number;
  minShare: number;
  fallbackShare: number;
}
interface Fixture {
  batch: number;
  featureDim: number;
  numClusters: number;
  inputs: { weak: number[]; strong: number[]; weight: number[]; bias: number[]; teacherWeight: number[]; teacherBias: number[] };
  cases: {
    name: string;
    rules: Rules;
    teacher: boolean;
    expected: {
      labels: number[];
      confident: number[];
      fallback: number[];
      classWeights: number[];
      loss: number;
      gradStrong: number[];
      gradWeak: number[];
      gradWeight: number[];
      gradBias: number[];
    };
  }[];
}

const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/selflabel.json', import.meta.url), 'utf8'));
const REL = 1e-5;

describe('self-label vs the PyTorch reference', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  const { batch: b, featureDim: f, numClusters: k, inputs } = fixture;

  it('covers the official loss, the cap, the fallback with and without balancing, and a teacher', () => {
    expect(fixture.cases.map((c) => c.name)).to.deep.equal(['official', 'cap', 'fallback', 'fallback-unbalanced', 'teacher']);
  });

  for (const c of fixture.cases) {
    it(`${c.name}: pseudo-labels, class weights, loss and gradients`, async () => {
      const options = selfLabelOptions.parse({ ...c.rules, ...(c.teacher ? { teacherDecay: 0.9 } : {}) });
      const objective = new SelfLabelObjective(options, context({ featureDim: f, numClusters: k, numViews: 2 }));
      assignState(objective, {
        'head.weight': inputs.weight,
        'head.bias': inputs.bias,
        ...(c.teacher ? { 'teacher.weight': inputs.teacherWeight, 'teacher.bias': inputs.teacherBias } : {}),
      });
      const before = tf.memory().numTensors;
      const e = c.expected;

      // The selection on its own: exact.
      const got = tf.tidy(() => {
        const [w, bias] = c.teacher ? [inputs.teacherWeight, inputs.teacherBias] : [inputs.weight, inputs.bias];
        const probs = tf.softmax(tf.add(tf.matMul(tf.tensor2d(inputs.weak, [b, f]), tf.tensor2d(w, [f, k])), tf.tensor1d(bias))) as tfc.Tensor2D;
        const p = selectPseudoLabels(probs, rulesFor(options, b, k));
        const [labels, selected] = [p.labels.dataSync(), p.selected.dataSync()];
        return {
          labels: Array.from(labels, (l, i) => (selected[i] ? l : -1)),
          confident: Array.from(p.confident.dataSync()),
          fallback: Array.from(p.fallback.dataSync()),
          classWeights: Array.from(p.classWeights.dataSync()),
        };
      });
      expect(got.labels, 'pseudo-labels (-1: none)').to.deep.equal(e.labels);
      expect(got.confident, 'confident rows').to.deep.equal(e.confident);
      expect(got.fallback, 'classes that fall back').to.deep.equal(e.fallback);
      expectClose(got.classWeights, e.classWeights, 1e-6, 'class weights');

      // Through the objective: loss, gradients (none through the weak view), then the counts committed.
      const weak = tf.tidy(() => tf.variable(tf.tensor2d(inputs.weak, [b, f])));
      const strong = tf.tidy(() => tf.variable(tf.tensor2d(inputs.strong, [b, f])));
      const [weight, bias] = objective.variables();
      const indices = Int32Array.from({ length: b }, (_, i) => i);
      const out = await runStep(objective, { indices, views: [weak, strong], epoch: 0, step: 0 }, [weight, bias, strong, weak]);
      expectClose([out.total], [e.loss], REL, 'loss');
      expectClose([out.parts.crossEntropy], [e.loss], REL, 'part crossEntropy');
      expectClose(out.grads[0], e.gradWeight, REL, 'd/d head weight');
      expectClose(out.grads[1], e.gradBias, REL, 'd/d head bias');
      expectClose(out.grads[2], e.gradStrong, REL, 'd/d strong features');
      expect(
        Array.from(out.grads[3]).every((g) => g === 0),
        'no gradient through the weak view',
      ).to.equal(true);
      expect(e.gradWeak.every((g) => g === 0)).to.equal(true);
      const selected = e.labels.filter((l) => l >= 0).length;
      const confident = e.confident.reduce((s, v) => s + v, 0);
      const fallback = e.fallback.reduce((s, v) => s + v, 0);
      expect(objective.diagnostics()).to.deep.equal({ confidentFraction: confident / b, selectedFraction: selected / b, fallbackClasses: fallback });

      tf.dispose([weak, strong]);
      expect(tf.memory().numTensors, 'tensors around a step').to.equal(before);
      objective.dispose();
    });
  }
});
