import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend, tf } from '@clusterflow/core';
import { DataError, loadVectors, vectorDataset, vectorsDataset } from '@clusterflow/data';

describe('vector datasets', () => {
  let dir: string;
  const rows = [
    [0.5, -2, 3.25],
    [10, 0, -0.125],
    [1e-3, 7, 8],
    [-1, -1, 100],
  ];
  before(async () => {
    await selectBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'vectors-'));
    writeFileSync(join(dir, 'v.json'), JSON.stringify({ data: rows, labels: [0, 1, 1, 2] }));
    writeFileSync(join(dir, 'rows.json'), JSON.stringify(rows));
    writeFileSync(join(dir, 'labels.json'), JSON.stringify([2, 2, 0, 1]));
    const f = Float32Array.from(rows.flat());
    writeFileSync(join(dir, 'v.f32'), Buffer.from(f.buffer));
    writeFileSync(join(dir, 'short.f32'), Buffer.from(f.buffer, 0, 44));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('vectorDataset from rows or a flat array, values unscaled', () => {
    const a = vectorDataset(rows, 3, [0, 1, 1, 2]);
    const b = vectorDataset(Float32Array.from(rows.flat()), 3);
    expect([a.size, a.numClasses, b.labels]).to.deep.equal([4, 3, undefined]);
    expect(a.sampleShape).to.deep.equal([3]);
    const n = tf.memory().numTensors;
    const x = a.batch(Int32Array.of(3, 1));
    expect(x.shape).to.deep.equal([2, 3]);
    expect(Array.from(x.dataSync())).to.deep.equal([-1, -1, 100, 10, 0, -0.125]);
    x.dispose();
    expect(tf.memory().numTensors).to.equal(n);
    expect(() => vectorDataset([[1, 2], [3]], 2)).to.throw(DataError, /row 1 has 1 values, expected 2/);
    expect(() => vectorDataset(rows, 3, [0, 1])).to.throw(DataError, /2 labels for 4 vectors/);
    expect(() => vectorDataset([[1, NaN]], 2)).to.throw(DataError, /not finite/);
  });

  it('reads JSON (object or rows + labels file) and raw float32 files', async () => {
    const j = loadVectors(join(dir, 'v.json'));
    expect(Array.from(j.labels!)).to.deep.equal([0, 1, 1, 2]);
    const r = await vectorsDataset.create(vectorsDataset.options.parse({ path: 'rows.json', labels: 'labels.json' }), { baseDir: dir });
    expect(Array.from(r.labels!)).to.deep.equal([2, 2, 0, 1]);
    const raw = loadVectors(join(dir, 'v.f32'), { dim: 3 });
    expect(raw.size).to.equal(4);
    expect(Array.from(raw.data)).to.deep.equal(Array.from(Float32Array.from(rows.flat())));
  });

  it('raw files need dim and a whole number of vectors', () => {
    expect(() => loadVectors(join(dir, 'v.f32'))).to.throw(DataError, /needs the 'dim' option/);
    expect(() => loadVectors(join(dir, 'short.f32'), { dim: 3 })).to.throw(DataError, /short.f32' .* expected 36 or 48 bytes, found 44/);
  });
});
