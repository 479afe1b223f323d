// SCAN against the PyTorch reference written from the official code (fixtures/make_scan.py):
// per-head losses, their sum and its gradients w.r.t. the anchor and neighbour
// features and every head's weights; BCELoss's clamp at -100 with its gradient.
import { readFileSync } from 'node:fs';
import type * as tfc from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { expect } from 'chai';
import { scanHeadLosses, scanOptions, ScanObjective } from '../src/scan/index.js';
import { assignState, context } from './support/scan.js';
import { expectClose } from './support/compare.js';
import { runStep } from './support/step.js';

interface Fixture {
  heads: {
    batch: number;
    featureDim: number;
    numClusters: number;
    numHeads: number;
    entropyWeight: number;
    anchors: number[];
    neighbours: number[];
    weights: number[][];
    biases: number[][];
    expected: {
      total: number;
      headTotal: number[];
      headConsistency: number[];
      headEntropy: number[];
      gradAnchors: number[];
      gradNeighbours: number[];
      gradWeights: number[][];
      gradBiases: number[][];
    };
  };
  clamp: LogitsCase;
  floor: LogitsCase;
}
interface LogitsCase {
  entropyWeight: number;
  anchorLogits: number[];
  neighbourLogits: number[];
  expected: { total: number; consistency: number; entropy: number; gradAnchorLogits: number[]; gradNeighbourLogits: number[] };
}

const fixture: Fixture = JSON.parse(readFileSync(new URL('./fixtures/scan.json', import.meta.url), 'utf8'));
const REL = 1e-5;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('scan vs the PyTorch reference', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('heads: losses per head and summed, gradients w.r.t. features and every head; the epoch sums pick the best head', async () => {
    const c = fixture.heads;
    const { batch: b, featureDim: f, numClusters: k, numHeads: h } = c;
    const objective = new ScanObjective(scanOptions.parse({ numHeads: h, entropyWeight: c.entropyWeight, k: 3 }), context({ featureDim: f, numClusters: k }));
    const weights: Record<string, number[] | Int32Array> = { mined: Int32Array.of(1) };
    for (let i = 0; i < h; i++) Object.assign(weights, { [`head${i}.weight`]: c.weights[i], [`head${i}.bias`]: c.biases[i] });
    assignState(objective, weights);
    const before = tf.memory().numTensors;
    const anchors = tf.tidy(() => tf.variable(tf.tensor2d(c.anchors, [b, f])));
    const neighbours = tf.tidy(() => tf.variable(tf.tensor2d(c.neighbours, [b, f])));
    const heads = objective.variables();
    const indices = Int32Array.from({ length: b }, (_, i) => i);
    const out = await runStep(objective, { indices, views: [anchors], companions: [neighbours], epoch: 0, step: 0 }, [...heads, anchors, neighbours]);

    const e = c.expected;
    expectClose([out.total], [e.total], REL, 'total');
    expectClose([out.parts.consistency], [sum(e.headConsistency)], REL, 'consistency');
    expectClose([out.parts.entropy], [-c.entropyWeight * sum(e.headEntropy)], REL, 'entropy');
    for (let i = 0; i < h; i++) {
      expectClose(out.grads[2 * i], e.gradWeights[i], REL, `d/d head ${i} weight`);
      expectClose(out.grads[2 * i + 1], e.gradBiases[i], REL, `d/d head ${i} bias`);
    }
    expectClose(out.grads[2 * h], e.gradAnchors, REL, 'd/d anchors');
    expectClose(out.grads[2 * h + 1], e.gradNeighbours, REL, 'd/d neighbours');

    // commit added each head's total to the epoch's sums; the lowest is the best head.
    expectClose(objective.getState().headLoss as Float32Array, e.headTotal, REL, 'per-head totals');
    const best = e.headTotal.indexOf(Math.min(...e.headTotal));
    expect(objective.bestHead()).to.equal(best);
    expect(objective.diagnostics().bestHead).to.equal(best);
    expectClose(objective.clusterHead().weight.dataSync(), c.weights[best], 1e-7, 'clusterHead() is the best head');

    tf.dispose([anchors, neighbours]);
    expect(tf.memory().numTensors, 'tensors around a step').to.equal(before);
    objective.dispose();
  });

  const logitsCases: [string, LogitsCase][] = [
    ["clamp: BCELoss's log floor at -100 where the predictions disagree confidently", fixture.clamp],
    ['floor: the entropy of a class no anchor predicts (mean probability 0 in float32)', fixture.floor],
  ];
  for (const [name, c] of logitsCases) {
    it(`${name}: finite, with its gradient`, () => {
      const before = tf.memory().numTensors;
      const za = tf.tensor3d(c.anchorLogits, [4, 1, 3]);
      const zn = tf.tensor3d(c.neighbourLogits, [4, 1, 3]);
      const parts: number[] = [];
      const grads = tf.grads((a: tfc.Tensor, n: tfc.Tensor) => {
        const l = scanHeadLosses(a as tfc.Tensor3D, n as tfc.Tensor3D, c.entropyWeight);
        parts.push(l.consistency.dataSync()[0], l.entropy.dataSync()[0]);
        return tf.sum(l.total);
      })([za, zn]);
      const e = c.expected;
      expectClose(parts, [e.consistency, e.entropy], REL, 'consistency and entropy');
      expectClose(grads[0].dataSync(), e.gradAnchorLogits, REL, 'd/d anchor logits');
      expectClose(grads[1].dataSync(), e.gradNeighbourLogits, REL, 'd/d neighbour logits');
      const total = tf.tidy(() => scanHeadLosses(za, zn, c.entropyWeight).total.dataSync()[0]);
      expectClose([total], [e.total], REL, 'total');
      tf.dispose([za, zn, ...grads]);
      expect(tf.memory().numTensors).to.equal(before);
    });
  }
});
