import { expect } from 'chai';
import { selectBackend, tf } from '@clusterflow/core';
import { DataError, idxDataset, loadIdx, parseIdx } from '@clusterflow/data';
import { fixture, fmnist64 } from './support/fixtures.js';

describe('idx datasets', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  const ref = fmnist64();

  it('reads gzip and raw idx3 files alike, shape from the header', () => {
    const gz = loadIdx({ images: fixture('fmnist64-images-idx3-ubyte.gz'), labels: fixture('fmnist64-labels-idx1-ubyte.gz') });
    const raw = loadIdx({ images: fixture('fmnist64-images-idx3-ubyte') });
    expect(gz.size).to.equal(64);
    expect(gz.sampleShape).to.deep.equal([28, 28, 1]);
    expect(Array.from(gz.labels!)).to.deep.equal(Array.from(ref.labels));
    expect(gz.numClasses).to.equal(10);
    expect(raw.labels).to.equal(undefined);
    expect(Buffer.from(raw.data).equals(Buffer.from(gz.data))).to.equal(true);
    expect(gz.describe()).to.contain('fmnist64-images-idx3-ubyte.gz');
  });

  it('uploads only the asked-for samples, as float32 in [0, 1]', () => {
    const ds = loadIdx({ images: fixture('fmnist64-images-idx3-ubyte.gz') });
    const before = tf.memory().numTensors;
    const x = ds.batch(Int32Array.of(5, 0, 63));
    expect(x.shape).to.deep.equal([3, 28, 28, 1]);
    expect(x.dtype).to.equal('float32');
    const v = x.dataSync();
    for (const [b, i] of [
      [0, 5],
      [1, 0],
      [2, 63],
    ]) {
      for (const k of [0, 300, 400, 783]) expect(v[b * 784 + k]).to.be.closeTo(ref.pixels[i * 784 + k] / 255, 1e-7);
    }
    expect(Math.max(...v)).to.be.at.most(1);
    x.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    expect(() => ds.batch(Int32Array.of(64))).to.throw(DataError, /64 is outside \[0, 64\)/);
  });

  it('reads idx4 [N, H, W, C] with a non-square size', () => {
    const ds = loadIdx({ images: fixture('fmnist8-color-idx4-ubyte') });
    expect(ds.size).to.equal(8);
    expect(ds.sampleShape).to.deep.equal([24, 28, 3]);
    // Channel c of sample i is Fashion-MNIST image i + c, rows 2..25.
    const y = 10,
      x = 14;
    for (let c = 0; c < 3; c++) expect(ds.data[(1 * 24 * 28 + y * 28 + x) * 3 + c]).to.equal(ref.pixels[(1 + c) * 784 + (y + 2) * 28 + x]);
  });

  it('names the file and expected/found sizes for a truncated file (raw and gzip)', () => {
    for (const f of ['fmnist64-truncated-idx3-ubyte', 'fmnist64-truncated-idx3-ubyte.gz']) {
      expect(() => loadIdx({ images: fixture(f) }))
        .to.throw(DataError)
        .with.property('message')
        .that.matches(new RegExp(`${f}' is truncated: header \\[64,28,28\\] needs 50192 bytes, found 50092`));
    }
  });

  it('rejects a cut gzip stream, a wrong magic and a label count mismatch', () => {
    expect(() => loadIdx({ images: fixture('fmnist64-cutgzip-idx3-ubyte.gz') })).to.throw(DataError, /cutgzip.*damaged gzip/);
    expect(() => loadIdx({ images: fixture('bad-magic-idx3-ubyte') })).to.throw(DataError, /bad-magic-idx3-ubyte' is not an idx file: magic bytes 01 02 08 03/);
    expect(() => loadIdx({ images: fixture('fmnist64-images-idx3-ubyte.gz'), labels: fixture('fmnist32-labels-idx1-ubyte') })).to.throw(
      DataError,
      /has 32 labels but .* has 64 images/,
    );
    expect(() => parseIdx(Uint8Array.of(0, 0, 8), 'tiny')).to.throw(DataError, /only 3 bytes/);
  });

  it('factory resolves paths against baseDir and rejects unknown options', async () => {
    const ds = await idxDataset.create(idxDataset.options.parse({ images: 'fmnist64-images-idx3-ubyte.gz' }), { baseDir: fixture('') });
    expect(ds.size).to.equal(64);
    expect(() => idxDataset.options.parse({ images: 'a', label: 'b' })).to.throw(/label/);
  });
});
