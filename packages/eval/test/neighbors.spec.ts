import { expect } from 'chai';
import { ClusterflowError, selectBackend, ShapeError, tf } from '@clusterflow/core';
import { nearestNeighbors } from '@clusterflow/eval';
import { fixture } from './support/fixtures.js';
import { expectReject } from './support/reject.js';

interface NeighborsFixture {
  n: number;
  d: number;
  k: number;
  x: number[];
  /** Its neighbours all tie at similarity 0: only the similarities are compared. */
  zeroRow: number;
  indices: number[][];
  similarities: number[][];
}

const f = fixture<NeighborsFixture>('neighbors.json');

describe('nearestNeighbors', () => {
  let x: tf.Tensor2D;

  before(async () => {
    await selectBackend('cpu');
    x = tf.tensor2d(f.x, [f.n, f.d]);
  });
  after(() => x.dispose());

  it("equals scikit-learn's brute-force cosine neighbours, itself excluded, leaking nothing", async () => {
    const before = tf.memory().numTensors;
    const { indices, similarities } = await nearestNeighbors(x, { k: f.k });
    expect(tf.memory().numTensors).to.equal(before);
    expect(indices).to.be.instanceOf(Int32Array);
    expect(similarities).to.be.instanceOf(Float32Array);
    expect(indices.length).to.equal(f.n * f.k);
    for (let i = 0; i < f.n; i++) {
      const got = Array.from(indices.subarray(i * f.k, (i + 1) * f.k));
      const sims = similarities.subarray(i * f.k, (i + 1) * f.k);
      expect(got, `row ${i} is not its own neighbour`).to.not.include(i);
      if (i !== f.zeroRow) expect(got, `neighbours of row ${i}`).to.deep.equal(f.indices[i]);
      else expect(new Set(got).size).to.equal(f.k);
      f.similarities[i].forEach((s, j) => expect(sims[j], `similarity ${i}, ${j}`).to.be.closeTo(s, 1e-6));
    }
  });

  it('gives the same answer block by block (tiny budgets) as in one block', async () => {
    const whole = await nearestNeighbors(x, { k: f.k });
    for (const budget of [f.n, 7 * f.n, 64 * f.n]) {
      const before = tf.memory().numTensors;
      const blocked = await nearestNeighbors(x, { k: f.k }, budget);
      expect(tf.memory().numTensors).to.equal(before);
      expect(Array.from(blocked.indices), `budget ${budget}`).to.deep.equal(Array.from(whole.indices));
      expect(Array.from(blocked.similarities), `budget ${budget}`).to.deep.equal(Array.from(whole.similarities));
    }
  });

  it('breaks ties by the smaller index and allows k = N - 1', async () => {
    const same = tf.tensor2d([
      [1, 0],
      [2, 0],
      [3, 0],
      [0, 1],
    ]);
    const { indices, similarities } = await nearestNeighbors(same, { k: 3 });
    same.dispose();
    expect(Array.from(indices.subarray(0, 3))).to.deep.equal([1, 2, 3]);
    expect(Array.from(indices.subarray(3, 6))).to.deep.equal([0, 2, 3]);
    expect(Array.from(similarities.subarray(0, 3))).to.deep.equal([1, 1, 0]);
  });

  it('rejects k >= N, NaN features and bad options', async () => {
    const before = tf.memory().numTensors;
    await expectReject(nearestNeighbors(x, { k: f.n }), ShapeError, new RegExp(`k = ${f.n} .* ${f.n + 1} rows, got ${f.n}`));
    const nan = tf.tensor2d([
      [NaN, 1],
      [0, 1],
    ]);
    await expectReject(nearestNeighbors(nan, { k: 1 }), ClusterflowError, /NaN/);
    nan.dispose();
    await expectReject(nearestNeighbors(x, { k: 0 }), ClusterflowError, /k/);
    await expectReject(nearestNeighbors(x, { k: 2, signal: 'stop' } as never), ClusterflowError, /signal/);
    expect(tf.memory().numTensors).to.equal(before);
  });
});
