import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { featurePurity, selectBackend, tf, train, type CompleteEvent, type EpochEndEvent } from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';
import { FMNIST64 } from './support/fixtures.js';

// eval.knnPurity: the label agreement of the backbone features' k nearest neighbours,
// computed at every evaluation with eval's KNN service.

/** Brute force: every row's k most cosine-similar other rows, then the share with its label. */
function bruteForcePurity(x: number[][], labels: number[], k: number): number {
  const unit = x.map((r) => r.map((v) => v / Math.hypot(...r)));
  let same = 0;
  unit.forEach((a, i) => {
    const order = unit
      .map((b, j) => ({ j, s: a.reduce((t, v, d) => t + v * b[d], 0) }))
      .filter(({ j }) => j !== i)
      .sort((p, q) => q.s - p.s);
    for (const { j } of order.slice(0, k)) if (labels[j] === labels[i]) same++;
  });
  return same / (x.length * k);
}

describe('eval.knnPurity: the features’ kNN purity', function () {
  this.timeout(120000);
  before(async () => {
    await selectBackend('wasm');
  });

  it('is the share of each row’s k nearest rows (cosine) that share its label', async () => {
    // Two directions with noise, labels that mostly follow them: a value strictly between 0 and 1.
    const x = Array.from({ length: 24 }, (_, i) => [Math.cos(i * 1.3) + (i % 2 ? 3 : 0), Math.sin(i * 0.7) + (i % 2 ? 0 : 3), (i % 5) / 5]);
    const labels = x.map((_, i) => (i % 2 === 0 || i % 7 === 0 ? 0 : 1));
    const features = tf.tensor2d(x);
    for (const k of [1, 3, 6]) {
      const got = await featurePurity(features, labels, k, defaultRegistry().services);
      expect(got, `k = ${k}`).to.be.closeTo(bruteForcePurity(x, labels, k), 1e-12);
      expect(got).to.be.within(0.2, 0.99);
    }
    features.dispose();
  });

  it('is reported at every evaluation when asked for, and not otherwise; every tensor is freed', async () => {
    const config = (evalSection: Record<string, unknown>) => ({
      name: 'knn-purity',
      seed: 0,
      backend: 'wasm',
      data: FMNIST64,
      backbone: { id: 'mlp', options: { featureDim: 16, hidden: [32] } },
      numClusters: 10,
      objective: [{ id: 'simclr' }],
      train: { epochs: 2, batchSize: 16, maxStepsPerEpoch: 2 },
      eval: { every: 1, ...evalSection },
    });
    const runEvents = async (evalSection: Record<string, unknown>) =>
      lastValueFrom(train(config(evalSection) as never, { registry: defaultRegistry(), logger: { info: () => {}, warn: () => {} } }).pipe(toArray()));
    const before = tf.memory().numTensors;
    const events = await runEvents({ knnPurity: 5 });
    expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
    const ends = events.filter((e): e is EpochEndEvent => e.type === 'epoch-end');
    expect(ends).to.have.length(2);
    for (const e of ends) expect(e.metrics.featureKnnPurity).to.be.within(0, 1);
    expect((events.at(-1) as CompleteEvent).summary.metrics.featureKnnPurity).to.equal(ends[1].metrics.featureKnnPurity);
    const plain = await runEvents({});
    expect((plain.at(-1) as CompleteEvent).summary.metrics).to.not.have.property('featureKnnPurity');
  });
});
