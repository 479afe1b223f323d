import { expect } from 'chai';
import { selectBackend, tf } from '@clusterflow/core';
import { cifar100Dataset, cifar10Dataset, DataError, loadCifar } from '@clusterflow/data';
import { fixture, fmnist64 } from './support/fixtures.js';

// No CIFAR data is available here: the fixtures are CIFAR-format records whose
// R, G, B planes are Fashion-MNIST images i, i+1, i+2 zero-padded to 32x32
// (see fixtures/make_fixtures.py), so the planar -> HWC conversion is checked
// against pixels read independently from the idx fixture.
describe('CIFAR datasets', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  const ref = fmnist64();
  const src = (i: number, y: number, x: number) => (y < 2 || y >= 30 || x < 2 || x >= 30 ? 0 : ref.pixels[i * 784 + (y - 2) * 28 + (x - 2)]);

  it('reads CIFAR-10 records channel-last with their labels', () => {
    const ds = loadCifar('cifar10', [fixture('cifar10-fmnist6.bin')]);
    expect(ds.size).to.equal(6);
    expect(ds.sampleShape).to.deep.equal([32, 32, 3]);
    expect(ds.numClasses).to.equal(10);
    expect(Array.from(ds.labels!)).to.deep.equal(Array.from(ref.labels.subarray(0, 6)));
    for (let r = 0; r < 6; r++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          for (let c = 0; c < 3; c++) {
            const got = ds.data[((r * 32 + y) * 32 + x) * 3 + c];
            if (got !== src(r + c, y, x)) expect.fail(`record ${r} pixel (${y},${x},${c}): ${got} != ${src(r + c, y, x)}`);
          }
        }
      }
    }
    const b = ds.batch(Int32Array.of(2));
    expect(b.shape).to.deep.equal([1, 32, 32, 3]);
    expect(b.dataSync()[(10 * 32 + 12) * 3 + 1]).to.be.closeTo(src(3, 10, 12) / 255, 1e-7);
    b.dispose();
  });

  it('reads CIFAR-100 fine or coarse labels', async () => {
    const fine = await cifar100Dataset.create(cifar100Dataset.options.parse({ files: ['cifar100-fmnist6.bin'] }), { baseDir: fixture('') });
    const coarse = await cifar100Dataset.create(cifar100Dataset.options.parse({ files: ['cifar100-fmnist6.bin'], label: 'coarse' }), {
      baseDir: fixture(''),
    });
    const y = Array.from(ref.labels.subarray(0, 6));
    expect(Array.from(coarse.labels!)).to.deep.equal(y);
    expect(Array.from(fine.labels!)).to.deep.equal(y.map((l, i) => (l * 7 + i) % 100));
    expect([fine.numClasses, coarse.numClasses]).to.deep.equal([100, 20]);
    const a = tf.tidy(
      () =>
        tf
          .sub(fine.batch(Int32Array.of(0, 5)), loadCifar('cifar10', [fixture('cifar10-fmnist6.bin')]).batch(Int32Array.of(0, 5)))
          .abs()
          .max()
          .dataSync()[0],
    );
    expect(a).to.equal(0);
  });

  it('names expected and found sizes for a truncated file', () => {
    expect(() => loadCifar('cifar10', [fixture('cifar10-truncated.bin')])).to.throw(
      DataError,
      /cifar10-truncated.bin' is not a whole number of cifar10 records of 3073 bytes: expected 15365 or 18438 bytes, found 17438/,
    );
    // A CIFAR-10 file read as CIFAR-100 does not line up either.
    expect(() => loadCifar('cifar100', [fixture('cifar10-fmnist6.bin')])).to.throw(DataError, /3074 bytes/);
  });

  it('needs a path or files, and says which split files are missing', async () => {
    await cifar10Dataset.create(cifar10Dataset.options.parse({}), { baseDir: '.' }).then(
      () => expect.fail('should throw'),
      (e) =>
        expect(e)
          .to.be.instanceOf(DataError)
          .with.property('message')
          .that.matches(/give 'path'/),
    );
    await cifar10Dataset.create(cifar10Dataset.options.parse({ path: 'fixtures-nowhere', split: 'train' }), { baseDir: '/tmp' }).then(
      () => expect.fail('should throw'),
      (e) => expect(e.message).to.match(/missing .*data_batch_1.bin/),
    );
  });
});
