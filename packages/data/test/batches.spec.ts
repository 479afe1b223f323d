import { expect } from 'chai';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import { batches, loadIdx, numBatches } from '@clusterflow/data';
import { fixture } from './support/fixtures.js';

describe('batches', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('covers every index once, in order without shuffle', () => {
    const got = [...batches(10, { batchSize: 4 })].map((b) => Array.from(b));
    expect(got).to.deep.equal([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect([...batches(10, { batchSize: 4, dropLast: true })].length).to.equal(2);
    expect([numBatches(10, 4), numBatches(10, 4, true)]).to.deep.equal([3, 2]);
  });

  it('shuffles reproducibly from the rng, a permutation each epoch', () => {
    const a = [...batches(50, { batchSize: 8, shuffle: true, rng: new Rng(1) })];
    const b = [...batches(50, { batchSize: 8, shuffle: true, rng: new Rng(1) })];
    const rng = new Rng(2);
    const c1 = [...batches(50, { batchSize: 8, shuffle: true, rng })];
    const c2 = [...batches(50, { batchSize: 8, shuffle: true, rng })];
    const flat = (x: Int32Array[]) => x.flatMap((v) => Array.from(v));
    expect(flat(a)).to.deep.equal(flat(b));
    expect(flat(a)).to.not.deep.equal(flat(c1));
    expect(flat(c1)).to.not.deep.equal(flat(c2));
    expect([...flat(a)].sort((p, q) => p - q)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(() => batches(5, { batchSize: 2, shuffle: true })).to.throw(/needs an rng/);
    expect(() => batches(5, { batchSize: 0 })).to.throw(/positive/);
  });

  it('an epoch of upload-and-dispose leaves the backend as it was', () => {
    const ds = loadIdx({ images: fixture('fmnist64-images-idx3-ubyte.gz') });
    const before = tf.memory().numTensors;
    let seen = 0;
    for (const idx of batches(ds, { batchSize: 16, shuffle: true, rng: new Rng(3) })) {
      const x = ds.batch(idx);
      expect(tf.memory().numTensors).to.equal(before + 1);
      seen += x.shape[0];
      x.dispose();
    }
    expect(seen).to.equal(64);
    expect(tf.memory().numTensors).to.equal(before);
  });
});
