import { expect } from 'chai';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@clusterflow/core';
import { BUNDLED_FASHION_MNIST_DIR, DataError, fashionMnistDataset, loadFashionMnist, resolveFashionMnist } from '@clusterflow/data';
import { fixture, fmnist64 } from './support/fixtures.js';

describe('fashion-mnist dataset', () => {
  let dir: string;
  before(async () => {
    await selectBackend('cpu');
    // A folder laid out like the real distribution, made of the 64-image slice.
    dir = mkdtempSync(join(tmpdir(), 'fmnist-'));
    for (const split of ['train', 't10k']) {
      copyFileSync(fixture('fmnist64-images-idx3-ubyte.gz'), join(dir, `${split}-images-idx3-ubyte.gz`));
      copyFileSync(fixture('fmnist64-labels-idx1-ubyte.gz'), join(dir, `${split}-labels-idx1-ubyte.gz`));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('with no options reads a test split (bundled on a fresh clone)', async () => {
    const ds = await fashionMnistDataset.create(fashionMnistDataset.options.parse({}), { baseDir: '.' });
    expect(ds.size).to.equal(10000);
    expect(ds.sampleShape).to.deep.equal([28, 28, 1]);
    expect(ds.numClasses).to.equal(10);
    const ref = fmnist64();
    expect(Array.from(ds.labels!.subarray(0, 64))).to.deep.equal(Array.from(ref.labels));
    expect(Buffer.from((ds as any).data.subarray(0, 64 * 784)).equals(Buffer.from(ref.pixels))).to.equal(true);
    expect(ds.describe!()).to.match(/fashion-mnist test split: 10000 images .*t10k-images-idx3-ubyte.gz/);
    // Each class has 1000 test images.
    const counts = new Array(10).fill(0);
    for (const l of ds.labels!) counts[l]++;
    expect(counts).to.deep.equal(new Array(10).fill(1000));
  });

  it('the bundled path is found relative to the module', () => {
    const [f] = resolveFashionMnist('test', { searchDirs: ['/nonexistent', BUNDLED_FASHION_MNIST_DIR] });
    expect(f.images).to.equal(join(BUNDLED_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
  });

  it('reads train, test and all from a given folder', () => {
    expect(loadFashionMnist('train', { path: dir }).size).to.equal(64);
    const all = loadFashionMnist('all', { path: dir });
    expect(all.size).to.equal(128);
    expect(all.labels![64]).to.equal(all.labels![0]);
    expect(all.describe()).to.contain(join(dir, 'train-images-idx3-ubyte.gz'));
  });

  it('prefers earlier search folders (system copy before the bundled one)', () => {
    const [f] = resolveFashionMnist('test', { searchDirs: [dir, BUNDLED_FASHION_MNIST_DIR] });
    expect(f.images).to.equal(join(dir, 't10k-images-idx3-ubyte.gz'));
  });

  it('asking for train with only the bundled split says where to put the data', () => {
    expect(() => loadFashionMnist('train', { searchDirs: ['/nonexistent', BUNDLED_FASHION_MNIST_DIR] })).to.throw(
      DataError,
      /split 'train' not found.*Only the 10k test split is bundled; put the files .* pass it as 'path'/,
    );
    expect(() => loadFashionMnist('test', { path: '/nonexistent' })).to.throw(DataError, /looked for t10k-images-idx3-ubyte.gz .* in \/nonexistent/);
  });
});
