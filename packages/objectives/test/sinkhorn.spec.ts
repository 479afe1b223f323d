import type * as tfc from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { expect } from 'chai';
import { sinkhorn } from '../src/sinkhorn.js';
import { expectClose } from './support/compare.js';
import { flat, loadReference } from './support/concurl.js';

/** Row and column sums of a [B, K] matrix on the host. */
function sums(q: tfc.Tensor2D): { rows: number[]; cols: number[]; values: Float32Array } {
  const [b, k] = q.shape;
  const values = q.dataSync() as Float32Array;
  const rows = new Array(b).fill(0);
  const cols = new Array(k).fill(0);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < k; j++) {
      rows[i] += values[i * k + j];
      cols[j] += values[i * k + j];
    }
  return { rows, cols, values };
}

describe('sinkhorn', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('matches the PyTorch SwAV formulation on moderate scores to 1e-5', () => {
    const ref = loadReference();
    for (const c of ref.sinkhorn) {
      const before = tf.memory().numTensors;
      const scores = tf.tensor2d(c.scores);
      const q = sinkhorn(scores, { epsilon: c.epsilon, iterations: c.iterations });
      expectClose(q.dataSync(), flat(c.targets), 1e-5, `eps ${c.epsilon}, ${c.iterations} iterations`);
      tf.dispose([scores, q]);
      expect(tf.memory().numTensors).to.equal(before);
    }
  });

  it('gives rows summing to 1 and (with B divisible) near-equal column mass', () => {
    const scores = tf.tidy(() => tf.randomUniform([32, 8], -1, 1, 'float32', 3) as tfc.Tensor2D);
    const q = sinkhorn(scores, { epsilon: 0.05, iterations: 50 });
    const { rows, cols } = sums(q);
    for (const r of rows) expect(r).to.be.closeTo(1, 1e-5);
    // Equal mass: each of the 8 prototypes gets 32 / 8 = 4 samples' worth.
    for (const col of cols) expect(col).to.be.closeTo(4, 1e-3);
    tf.dispose([scores, q]);
  });

  it('stays finite for eps 0.05 and scores in [-100, 100], where exp(scores / eps) overflows float32', () => {
    const scores = tf.tidy(() => tf.randomUniform([16, 10], -100, 100, 'float32', 11) as tfc.Tensor2D);
    // The naive SwAV form on these scores is not finite in float32.
    const naive = tf.tidy(() => tf.exp(tf.div(scores, 0.05)));
    expect(Array.from(naive.dataSync()).some((x) => !Number.isFinite(x))).to.equal(true);
    const q = sinkhorn(scores, { epsilon: 0.05, iterations: 3 });
    const { rows, values } = sums(q);
    expect(Array.from(values).every((x) => Number.isFinite(x) && x >= 0)).to.equal(true);
    for (const r of rows) expect(r).to.be.closeTo(1, 1e-5);
    tf.dispose([scores, naive, q]);
  });

  it('keeps an all-equal row finite and spreads a constant matrix uniformly', () => {
    const data = [
      [5, 5, 5, 5],
      [90, -90, 0, 10],
      [-100, 100, 50, -50],
    ];
    const scores = tf.tensor2d(data);
    const q = sinkhorn(scores, { epsilon: 0.05, iterations: 3 });
    const { rows, values } = sums(q);
    expect(Array.from(values).every((x) => Number.isFinite(x))).to.equal(true);
    for (const r of rows) expect(r).to.be.closeTo(1, 1e-5);
    const constant = tf.fill([4, 4], 7) as tfc.Tensor2D;
    const u = sinkhorn(constant, { epsilon: 0.05, iterations: 3 });
    for (const x of u.dataSync()) expect(x).to.be.closeTo(0.25, 1e-6);
    tf.dispose([scores, q, constant, u]);
  });

  it('with 0 iterations is the row softmax of scores / eps', () => {
    const scores = tf.tensor2d([
      [0.1, 0.2, -0.3],
      [0.5, -0.5, 0],
    ]);
    const q = sinkhorn(scores, { epsilon: 0.5, iterations: 0 });
    const soft = tf.softmax(tf.div(scores, 0.5));
    expectClose(q.dataSync(), soft.dataSync(), 1e-6, 'softmax');
    tf.dispose([scores, q, soft]);
  });

  it('rejects bad options', () => {
    const scores = tf.tensor2d([[1, 2]]);
    expect(() => sinkhorn(scores, { epsilon: 0 })).to.throw(/epsilon/);
    expect(() => sinkhorn(scores, { iterations: -1 })).to.throw(/iterations/);
    scores.dispose();
  });
});
