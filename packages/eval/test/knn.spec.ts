import { expect } from 'chai';
import { ClusterflowError, selectBackend, ShapeError, tf } from '@clusterflow/core';
import { knnAccuracy } from '@clusterflow/eval';
import { fixture } from './support/fixtures.js';
import { expectReject } from './support/reject.js';

interface KnnFixture {
  d: number;
  train: number[];
  trainLabels: number[];
  test: number[];
  testLabels: number[];
  cases: { k: number; temperature: number; accuracy: number; looAccuracy: number }[];
}

const f = fixture<KnnFixture>('knn.json');

describe('knnAccuracy', () => {
  let train: tf.Tensor2D, test: tf.Tensor2D;
  const trainY = Int32Array.from(f.trainLabels);
  const testY = Int32Array.from(f.testLabels);

  before(async () => {
    await selectBackend('cpu');
    train = tf.tensor2d(f.train, [f.trainLabels.length, f.d]);
    test = tf.tensor2d(f.test, [f.testLabels.length, f.d]);
  });
  after(() => tf.dispose([train, test]));

  for (const c of f.cases) {
    it(`k=${c.k}, T=${c.temperature}: equals the PyTorch weighted kNN, with and without leave-one-out`, async () => {
      const before = tf.memory().numTensors;
      const acc = await knnAccuracy(train, trainY, test, testY, { k: c.k, temperature: c.temperature });
      // Same tensor twice: leave-one-out is inferred.
      const loo = await knnAccuracy(train, trainY, train, trainY, { k: c.k, temperature: c.temperature });
      expect(tf.memory().numTensors).to.equal(before);
      expect(acc).to.be.closeTo(c.accuracy, 1e-12);
      expect(loo).to.be.closeTo(c.looAccuracy, 1e-12);
    });
  }

  it('counts self-matches without leave-one-out and uses any label ids', async () => {
    // With k = 1 and no exclusion every training row finds itself.
    expect(await knnAccuracy(train, trainY, train, trainY, { k: 1, excludeSelf: false })).to.equal(1);
    const shifted = Int32Array.from(trainY, (y) => y * 1000 - 7);
    const shiftedTest = Int32Array.from(testY, (y) => y * 1000 - 7);
    const c = f.cases[0];
    expect(await knnAccuracy(train, shifted, test, shiftedTest, { k: c.k })).to.be.closeTo(c.accuracy, 1e-12);
  });

  it('caps k at the number of neighbours', async () => {
    const x = tf.tensor2d([
      [1, 0],
      [0.9, 0.1],
      [0, 1],
    ]);
    const y = Int32Array.of(0, 0, 1);
    // Leave-one-out with k capped at 2: row 2 is outvoted by the two rows of class 0.
    expect(await knnAccuracy(x, y, x, y, { k: 50 })).to.be.closeTo(2 / 3, 1e-12);
    x.dispose();
  });

  it('rejects mismatched sizes, NaN features and bad options', async () => {
    await expectReject(knnAccuracy(train, trainY.subarray(1), test, testY), ShapeError, /trainLabels has 299 entries .* 300 rows/);
    await expectReject(knnAccuracy(train, trainY, test.slice([0, 0], [-1, 3]) as tf.Tensor2D, testY), ShapeError, /16 columns .* 3/);
    const nan = tf.tensor2d([[NaN, 1]]);
    await expectReject(knnAccuracy(nan, Int32Array.of(0), nan, Int32Array.of(0), { excludeSelf: false }), ClusterflowError, /trainFeatures.*NaN/);
    nan.dispose();
    await expectReject(knnAccuracy(train, trainY, test, testY, { k: 0 }), ClusterflowError, /k/);
    await expectReject(knnAccuracy(train, trainY, test, testY, { excludeSelf: true }), ShapeError, /train 300, test 120/);
  });
});
