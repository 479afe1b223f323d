import { expect } from 'chai';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import { assignNearest, disposeDerived, lloydStep, prepareRows, sqDistances } from '../src/distance.js';

/** Host reference: nearest centroid, its squared distance, per-cluster sums and counts. */
function reference(x: Float32Array, c: Float32Array, n: number, k: number, d: number) {
  const labels = new Int32Array(n),
    dist = new Float64Array(n);
  const sums = new Float64Array(k * d),
    counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let best = 0,
      bestD = Infinity;
    for (let m = 0; m < k; m++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - c[m * d + j]) ** 2;
      if (s < bestD) [best, bestD] = [m, s];
    }
    labels[i] = best;
    dist[i] = bestD;
    counts[best]++;
    for (let j = 0; j < d; j++) sums[best * d + j] += x[i * d + j];
  }
  return { labels, dist, sums, counts };
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`nearest-centroid distances (${backend})`, () => {
    before(async () => {
      await selectBackend(backend);
    });
    after(async () => {
      await selectBackend('cpu');
    });

    const n = 257,
      k = 7,
      d = 5;
    const rng = new Rng(1);
    const x = Float32Array.from({ length: n * d }, () => rng.normal() * 3);
    const c = Float32Array.from({ length: k * d }, () => rng.normal() * 3);
    const ref = reference(x, c, n, k, d);

    // budget 50 -> 7 rows per chunk: many chunks and a ragged last one.
    for (const budget of [undefined, 50]) {
      it(`matches the host computation ${budget ? 'in chunks of 7 rows' : 'in one chunk'}`, async () => {
        const xt = tf.tensor2d(x, [n, d]);
        const ct = tf.tensor2d(c, [k, d]);
        const rows = prepareRows(xt);
        const before = tf.memory().numTensors;
        const a = assignNearest(rows, ct, budget);
        const s = lloydStep(rows, ct, budget);
        const all = sqDistances(rows, ct, budget);
        expect(tf.memory().numTensors).to.equal(before + 7);
        expect(all.shape).to.deep.equal([k, n]);
        const allD = await all.data();
        for (let i = 0; i < n; i++) expect(allD[ref.labels[i] * n + i]).to.be.closeTo(ref.dist[i], 1e-3 * (1 + ref.dist[i]));
        expect(Array.from(await a.labels.data())).to.deep.equal(Array.from(ref.labels));
        expect(Array.from(await s.labels.data())).to.deep.equal(Array.from(ref.labels));
        const dist = await a.minDist.data();
        for (let i = 0; i < n; i++) expect(dist[i]).to.be.closeTo(ref.dist[i], 1e-3 * (1 + ref.dist[i]));
        const sums = await s.sums.data();
        for (let m = 0; m < k * d; m++) expect(sums[m]).to.be.closeTo(ref.sums[m], 1e-3);
        expect(Array.from(await s.counts.data())).to.deep.equal(Array.from(ref.counts));
        disposeDerived(rows);
        tf.dispose([a.labels, a.minDist, s.labels, s.minDist, s.sums, s.counts, all, xt, ct]);
      });
    }
  });
}
