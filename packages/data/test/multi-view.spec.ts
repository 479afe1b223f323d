import { expect } from 'chai';
import { ConfigError, Registry, Rng, ShapeError, selectBackend, tf } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { identity, loadIdx, multiView, multiViewAugmentation, register } from '@clusterflow/data';
import { fixture } from './helpers.js';

describe('multi-view and identity augmentations', () => {
  let gray: tfc.Tensor4D;
  let color: tfc.Tensor4D;
  before(async () => {
    await selectBackend('cpu');
    gray = loadIdx({ images: fixture('fmnist64-images-idx3-ubyte.gz') }).batch(Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7)) as tfc.Tensor4D;
    color = loadIdx({ images: fixture('fmnist8-color-idx4-ubyte') }).batch(Int32Array.of(0, 1, 2, 3)) as tfc.Tensor4D;
  });
  after(() => {
    gray.dispose();
    color.dispose();
  });

  const values = (ts: tfc.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
  const dispose = (ts: tfc.Tensor[]) => ts.forEach((t) => t.dispose());

  for (const [name, get] of [['gray preset', () => gray], ['colour preset', () => color]] as const) {
    it(`${name}: numViews views, same rng state gives identical views, no leaks`, () => {
      const x = get();
      const aug = multiViewAugmentation.create(multiViewAugmentation.options.parse({ views: 3 }), { sampleShape: x.shape.slice(1) });
      expect(aug.numViews).to.equal(3);
      const n = tf.memory().numTensors;
      const rng = new Rng(42);
      const state = rng.getState();
      const a = aug.views(x, rng);
      const again = new Rng(0);
      again.setState(state);
      const b = aug.views(x, again);
      expect(a.length).to.equal(3);
      for (const v of a) {
        expect(v.shape).to.deep.equal(x.shape);
        const d = v.dataSync();
        expect(Math.min(...d)).to.be.at.least(0);
        expect(Math.max(...d)).to.be.at.most(1);
      }
      expect(values(a)).to.deep.equal(values(b));
      const [v0, v1] = values(a);
      expect(v0).to.not.deep.equal(v1); // each view draws its own parameters
      expect(v0).to.not.deep.equal(Array.from(x.dataSync()));
      // The next call (rng advanced) gives other views.
      const c = aug.views(x, rng);
      expect(values(c)[0]).to.not.deep.equal(v0);
      dispose([...a, ...b, ...c]);
      expect(tf.memory().numTensors).to.equal(n);
      expect(x.isDisposed).to.equal(false);
    });
  }

  it('custom transform lists and output shapes', () => {
    const aug = multiView({ views: 2, transforms: [{ id: 'random-resized-crop', size: [16, 16] }, { id: 'flip' }, { id: 'gaussian-blur', p: 1 }] }, [24, 28, 3]);
    expect(aug.outputShape([24, 28, 3])).to.deep.equal([16, 16, 3]);
    const n = tf.memory().numTensors;
    const v = aug.views(color, new Rng(1));
    expect(v.map((t) => t.shape)).to.deep.equal([[4, 16, 16, 3], [4, 16, 16, 3]]);
    dispose(v);
    expect(tf.memory().numTensors).to.equal(n);
    // An empty list gives copies the caller may dispose.
    const plain = multiView({ views: 1, transforms: [] }, [28, 28, 1]).views(gray, new Rng(0));
    expect(plain[0]).to.not.equal(gray);
    plain[0].dispose();
    expect(gray.isDisposed).to.equal(false);
  });

  it('rejects vectors, wrong batch shapes and unknown options', () => {
    expect(() => multiView({}, [16])).to.throw(ConfigError, /identity/);
    expect(() => multiView({}, [28, 28, 1]).views(color, new Rng(0))).to.throw(ShapeError);
    expect(() => multiViewAugmentation.options.parse({ view: 2 })).to.throw(/view/);
    expect(() => multiViewAugmentation.options.parse({ transforms: [{ id: 'flip', q: 1 }] })).to.throw(/q/);
  });

  it('identity: numViews copies of the batch for embeddings', () => {
    const aug = identity.create(identity.options.parse({ views: 2 }), { sampleShape: [5] });
    const x = tf.tensor2d([[1, 2, 3, 4, 5]]);
    const n = tf.memory().numTensors;
    const v = aug.views(x, new Rng(0));
    expect(v.length).to.equal(2);
    expect(values(v)).to.deep.equal([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]);
    dispose(v);
    expect(tf.memory().numTensors).to.equal(n);
    expect(x.isDisposed).to.equal(false);
    x.dispose();
  });

  it('register adds every dataset and augmentation under its id', () => {
    const r = new Registry();
    register(r.registrar('builtin:@clusterflow/data'));
    expect(r.list('dataset').map((e) => e.factory.id).sort()).to.deep.equal(
      ['cifar10', 'cifar100', 'fashion-mnist', 'idx', 'image-folder', 'vectors'],
    );
    expect(r.list('augmentation').map((e) => e.factory.id).sort()).to.deep.equal(['identity', 'multi-view']);
    expect(() => register(r.registrar('again'))).to.throw(/already registered/);
  });
});
