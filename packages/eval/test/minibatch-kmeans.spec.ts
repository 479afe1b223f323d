import { expect } from 'chai';
import { ConfigError, selectBackend, ShapeError, tf } from '@clusterflow/core';
import { miniBatchKmeans } from '@clusterflow/eval';
import { fixture } from './support/fixtures.js';
import { expectReject } from './support/reject.js';

interface KMeansCase {
  name: string;
  n: number;
  d: number;
  k: number;
  x: number[];
  inertia: number;
}
const cases = fixture<KMeansCase[]>('kmeans.json');

describe('miniBatchKmeans', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('gets within 5% of the scikit-learn KMeans inertia on blobs, leaking nothing', async () => {
    for (const c of [cases[0], cases[2]]) {
      const x = tf.tensor2d(c.x, [c.n, c.d]);
      const before = tf.memory().numTensors;
      const r = await miniBatchKmeans(x, { k: c.k, batchSize: 256, seed: 1 });
      expect(tf.memory().numTensors).to.equal(before);
      x.dispose();
      expect(r.labels.length).to.equal(c.n);
      expect(r.centroids.length).to.equal(c.k * c.d);
      expect(r.inertia / c.inertia, c.name).to.be.within(0.999, 1.05);
      // Early stopping ends it well before 100 passes.
      expect(r.iterations)
        .to.be.greaterThan(1)
        .and.below((100 * c.n) / 256);
    }
  });

  it('is reproducible from the seed and respects the step budget', async () => {
    const c = cases[1];
    const x = tf.tensor2d(c.x, [c.n, c.d]);
    const a = await miniBatchKmeans(x, { k: c.k, batchSize: 100, seed: 4 });
    const b = await miniBatchKmeans(x, { k: c.k, batchSize: 100, seed: 4 });
    const capped = await miniBatchKmeans(x, { k: c.k, batchSize: 100, maxIter: 1, maxNoImprovement: 1000, seed: 4 });
    x.dispose();
    expect(Array.from(a.labels)).to.deep.equal(Array.from(b.labels));
    expect(capped.iterations).to.equal(10); // 1 pass of 1000 rows in batches of 100
  });

  it('rejects bad input', async () => {
    const x = tf.tensor2d([
      [0, 1],
      [2, 3],
    ]);
    await expectReject(miniBatchKmeans(x, { k: 3 }), ShapeError, /k = 3 .* N = 2/);
    await expectReject(miniBatchKmeans(x, { k: 1, batchSize: -1 }), ConfigError, /batchSize/);
    x.dispose();
  });
});
