import { expect } from 'chai';
import { AbortError, KMEANS, KNN, createRegistry, selectBackend, tf } from '@clusterflow/core';
import { kmeans, miniBatchKmeans, nearestNeighbors, register } from '@clusterflow/eval';
import { fixture } from './support/fixtures.js';

interface KMeansCase {
  name: string;
  n: number;
  d: number;
  k: number;
  x: number[];
}
const c = fixture<KMeansCase[]>('kmeans.json')[1];

/** A live signal whose `aborted` turns true at its n-th read: aborts the work at every point it checks. */
function abortsAtRead(n: number): AbortSignal {
  const signal = new AbortController().signal;
  let reads = 0;
  Object.defineProperty(signal, 'aborted', { get: () => ++reads >= n });
  return signal;
}

describe('eval services and cancellation', () => {
  let x: tf.Tensor2D;

  before(async () => {
    await selectBackend('cpu');
    x = tf.tensor2d(c.x, [c.n, c.d]);
  });
  after(() => x.dispose());

  it('register() provides KMEANS and KNN, the same functions objectives would import', async () => {
    const registry = createRegistry();
    register(registry.registrar('builtin:@clusterflow/eval'));
    const services = registry.services;
    expect(services.has(KMEANS) && services.has(KNN)).to.equal(true);
    const viaService = await services.resolve(KMEANS)(x, { k: c.k, nInit: 2, seed: 4 });
    const direct = await kmeans(x, { k: c.k, nInit: 2, seed: 4 });
    expect(Array.from(viaService.labels)).to.deep.equal(Array.from(direct.labels));
    expect(viaService.inertia).to.equal(direct.inertia);
    const nn = await services.resolve(KNN)(x, { k: 3 });
    expect(Array.from(nn.indices)).to.deep.equal(Array.from((await nearestNeighbors(x, { k: 3 })).indices));
  });

  it('without eval registered, resolving KMEANS names the provider', () => {
    expect(() => createRegistry().services.resolve(KMEANS)).to.throw(/kmeans.*@clusterflow\/eval/);
  });

  const work: [string, (signal: AbortSignal) => Promise<unknown>][] = [
    ['kmeans', (signal) => kmeans(x, { k: c.k, nInit: 3, seed: 1, signal })],
    ['miniBatchKmeans', (signal) => miniBatchKmeans(x, { k: c.k, batchSize: 64, maxIter: 2, nInit: 2, seed: 1, signal })],
    ['nearestNeighbors', (signal) => nearestNeighbors(x, { k: 5, signal }, 64 * c.n)],
  ];
  for (const [name, run] of work) {
    it(`${name}: an aborted signal rejects with AbortError at every check, leaving no tensors`, async () => {
      const before = tf.memory().numTensors;
      let checks = 0;
      // Abort at the 1st, 2nd, ... read of the signal until the work finishes first.
      for (let n = 1; ; n++) {
        try {
          await run(abortsAtRead(n));
          break;
        } catch (err) {
          expect(err, `abort at read ${n}`).to.be.instanceOf(AbortError);
          checks = n;
        }
        expect(tf.memory().numTensors, `tensors after an abort at read ${n}`).to.equal(before);
      }
      expect(checks, 'checks before the work ends').to.be.greaterThan(2);
      expect(tf.memory().numTensors).to.equal(before);
    });
  }
});
