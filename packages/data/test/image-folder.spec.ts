import { expect } from 'chai';
import { selectBackend, tf } from '@clusterflow/core';
import { DataError, imageFolderDataset, loadImageFolder, type HostDataset } from '@clusterflow/data';
import { fixture, fmnist64 } from './support/fixtures.js';

// Fixture folder: Fashion-MNIST test images 0..11 saved by PIL, class sub-folders
// named after their labels; every 4th image (3, 7, 11) is a JPEG (quality 95).
const NAMES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

describe('image-folder dataset', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  const ref = fmnist64();

  it('labels from sorted sub-folder names; PNG exact, JPEG close', async () => {
    const ds = await loadImageFolder(fixture('image-folder'));
    expect(ds.size).to.equal(12);
    expect(ds.sampleShape).to.deep.equal([28, 28, 1]); // all gray -> 1 channel
    const classes = [...new Set(Array.from(ref.labels.subarray(0, 12), (l) => NAMES[l]))].sort();
    expect(ds.classNames).to.deep.equal(classes);
    expect(ds.numClasses).to.equal(classes.length);
    // Files are listed class by class, then by name; recover each one's source index.
    const order = classes.flatMap((c) => Array.from({ length: 12 }, (_, i) => i).filter((i) => NAMES[ref.labels[i]] === c));
    order.forEach((src, k) => {
      expect(ds.classNames![ds.labels![k]]).to.equal(NAMES[ref.labels[src]]);
      let maxDiff = 0;
      for (let p = 0; p < 784; p++) maxDiff = Math.max(maxDiff, Math.abs(ds.data[k * 784 + p] - ref.pixels[src * 784 + p]));
      if (src % 4 === 3) expect(maxDiff, `jpeg ${src}`).to.be.within(1, 40);
      else expect(maxDiff, `png ${src}`).to.equal(0);
    });
  });

  it('can force 3 channels', async () => {
    const ds = await loadImageFolder(fixture('image-folder'), { channels: 3 });
    expect(ds.sampleShape).to.deep.equal([28, 28, 3]);
    expect(ds.data[300 * 3]).to.equal(ds.data[300 * 3 + 2]);
  });

  it('mixed sizes are an error naming both files, unless resize is asked for', async () => {
    const err = await loadImageFolder(fixture('image-folder-mixed')).catch((e) => e);
    expect(err).to.be.instanceOf(DataError);
    expect(err.message).to.match(/a0.png' is 28x28 but '.*b-padded.png' is 32x32; pass resize/);
    const ds = await imageFolderDataset.create(imageFolderDataset.options.parse({ path: 'image-folder-mixed', resize: [32, 32] }), {
      baseDir: fixture(''),
    });
    expect(ds.size).to.equal(4);
    expect(ds.labels).to.equal(undefined);
    expect(ds.sampleShape).to.deep.equal([32, 32, 3]);
    expect(ds.describe!()).to.match(/unlabelled.*resized to 32x32/);
    // b-padded.png is already 32x32: kept exactly. Image a0 was stretched from 28 to 32.
    const padded = ref.pixels[0 * 784 + 10 * 28 + 10];
    expect((ds as HostDataset).data[((3 * 32 + 12) * 32 + 12) * 3]).to.equal(padded);
    const before = tf.memory().numTensors;
    const b = ds.batch(Int32Array.of(0, 3));
    expect(b.shape).to.deep.equal([2, 32, 32, 3]);
    b.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });
});
