import { expect } from 'chai';
import { ConfigError, Rng, ShapeError, UnknownComponentError, selectBackend, tf, type TransformFactory } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { identity, loadIdx, multiView, multiViewAugmentation, presetTransforms, register } from '@clusterflow/data';
import { fixture } from './support/fixtures.js';
import { dataRegistry } from './support/registry.js';

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

  const registry = dataRegistry();
  const ctx = (sampleShape: readonly number[]) => ({ sampleShape, registry });
  const values = (ts: tfc.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
  const dispose = (ts: tfc.Tensor[]) => ts.forEach((t) => t.dispose());

  for (const [name, get] of [
    ['gray preset', () => gray],
    ['colour preset', () => color],
  ] as const) {
    it(`${name}: numViews views, same rng state gives identical views, no leaks`, () => {
      const x = get();
      const aug = multiViewAugmentation.create(multiViewAugmentation.options.parse({ views: 3 }), ctx(x.shape.slice(1)));
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
    const transforms = [{ id: 'random-resized-crop', options: { size: [16, 16] } }, { id: 'flip' }, { id: 'gaussian-blur', options: { p: 1 } }];
    const aug = multiView({ views: 2, transforms }, ctx([24, 28, 3]));
    expect(aug.outputShape([24, 28, 3])).to.deep.equal([16, 16, 3]);
    const n = tf.memory().numTensors;
    const v = aug.views(color, new Rng(1));
    expect(v.map((t) => t.shape)).to.deep.equal([
      [4, 16, 16, 3],
      [4, 16, 16, 3],
    ]);
    dispose(v);
    expect(tf.memory().numTensors).to.equal(n);
    // An empty list gives copies the caller may dispose.
    const plain = multiView({ views: 1, transforms: [] }, ctx([28, 28, 1])).views(gray, new Rng(0));
    expect(plain[0]).to.not.equal(gray);
    plain[0].dispose();
    expect(gray.isDisposed).to.equal(false);
  });

  it('the presets are pipelines of registered transforms in { id, options } form', () => {
    for (const channels of [1, 3]) {
      for (const ref of presetTransforms(channels)) expect(() => registry.options('transform', ref), ref.id).to.not.throw();
    }
    expect(presetTransforms(1).map((r) => r.id)).to.deep.equal(['random-resized-crop', 'flip', 'color-jitter']);
    expect(presetTransforms(3).map((r) => r.id)).to.deep.equal(['random-resized-crop', 'flip', 'color-jitter', 'grayscale']);
    for (const channels of [1, 3]) {
      expect(presetTransforms(channels, 'weak')).to.deep.equal([]);
      expect(presetTransforms(channels, 'strong').map((r) => r.id)).to.deep.equal(['flip', 'rand-augment', 'cutout']);
      for (const ref of presetTransforms(channels, 'strong')) expect(() => registry.options('transform', ref), ref.id).to.not.throw();
    }
  });

  it('pipelines: one per view, in view order (weak view 0 untouched, strong view 1 changed)', () => {
    for (const x of [gray, color]) {
      const aug = multiView({ pipelines: ['weak', 'strong'] }, ctx(x.shape.slice(1)));
      expect(aug.numViews).to.equal(2);
      const n = tf.memory().numTensors;
      const [weak, strong] = aug.views(x, new Rng(4));
      expect(weak).to.not.equal(x);
      expect(Array.from(weak.dataSync())).to.deep.equal(Array.from(x.dataSync()));
      expect(strong.shape).to.deep.equal(x.shape);
      expect(Array.from(strong.dataSync())).to.not.deep.equal(Array.from(x.dataSync()));
      dispose([weak, strong]);
      expect(tf.memory().numTensors).to.equal(n);
    }
    // The same pipeline for every view by name, and a list per view.
    expect(multiView({ views: 3, transforms: 'strong' }, ctx([28, 28, 1])).numViews).to.equal(3);
    const listed = multiView({ pipelines: [[{ id: 'flip' }], 'default', 'strong'] }, ctx([28, 28, 1]));
    expect(listed.numViews).to.equal(3);
  });

  it("every preset gives finite views in [0, 1], whatever each sample draws (a NaN once hid in strong: one op ran with another op's magnitudes)", () => {
    const all = loadIdx({ images: fixture('fmnist64-images-idx3-ubyte.gz') });
    const x = all.batch(Int32Array.from({ length: all.size }, (_, i) => i)) as tfc.Tensor4D;
    try {
      for (const [images, name] of [
        [x, 'gray'],
        [color, 'colour'],
      ] as const) {
        for (const preset of ['default', 'weak', 'strong'] as const) {
          const aug = multiView({ views: 1, transforms: preset }, ctx(images.shape.slice(1)));
          for (let seed = 0; seed < 8; seed++) {
            const [view] = aug.views(images, new Rng(seed));
            const v = Array.from(view.dataSync());
            view.dispose();
            const bad = v.findIndex((p) => !(p >= 0 && p <= 1));
            expect(bad, `${name} ${preset}, seed ${seed}: pixel ${bad} is ${v[bad]}`).to.equal(-1);
          }
        }
      }
    } finally {
      x.dispose();
    }
  });

  it('pipelines must agree on the output shape, and on the number of views', () => {
    const crop = (size: number) => [{ id: 'random-resized-crop', options: { size: [size, size] } }];
    expect(() => multiView({ pipelines: [crop(16), crop(20)] }, ctx([28, 28, 1]))).to.throw(ConfigError, /different shapes/);
    expect(multiView({ pipelines: [crop(16), crop(16)] }, ctx([28, 28, 1])).outputShape([28, 28, 1])).to.deep.equal([16, 16, 1]);
    expect(() => multiViewAugmentation.options.parse({ views: 3, pipelines: ['weak', 'strong'] })).to.throw(/contradicts/);
    expect(() => multiViewAugmentation.options.parse({ transforms: 'strong', pipelines: ['weak', 'strong'] })).to.throw(/not both/);
    expect(() => multiViewAugmentation.options.parse({ transforms: 'medium' })).to.throw();
  });

  it('rejects vectors, wrong batch shapes and unknown options', () => {
    expect(() => multiView({}, ctx([16]))).to.throw(ConfigError, /identity/);
    expect(() => multiView({}, ctx([28, 28, 1])).views(color, new Rng(0))).to.throw(ShapeError);
    expect(() => multiViewAugmentation.options.parse({ view: 2 })).to.throw(/view/);
    // A transform's options go under `options`: the flat form is an unknown key of the ref.
    expect(() => multiViewAugmentation.options.parse({ transforms: [{ id: 'flip', q: 1 }] })).to.throw(/q/);
  });

  it('check finds unknown transforms and bad transform options when the config is validated', () => {
    const check = (transforms: unknown) => multiViewAugmentation.check!(multiViewAugmentation.options.parse({ transforms }), registry);
    expect(() => check([{ id: 'flip' }, { id: 'rotate' }])).to.throw(UnknownComponentError, /rotate/);
    expect(() => check([{ id: 'flip', options: { q: 1 } }])).to.throw(ConfigError, /flip[\s\S]*q/);
    expect(() => check([{ id: 'color-jitter', options: { p: 2 } }])).to.throw(ConfigError, /p/);
    expect(() => check([{ id: 'random-resized-crop', options: { size: [16, 16] } }, { id: 'flip' }])).to.not.throw();
    expect(() => check(undefined)).to.not.throw(); // the preset
    expect(() => check('strong')).to.not.throw();
    const checkPipelines = (pipelines: unknown) => multiViewAugmentation.check!(multiViewAugmentation.options.parse({ pipelines }), registry);
    expect(() => checkPipelines(['weak', [{ id: 'flip' }, { id: 'rotate' }]])).to.throw(UnknownComponentError, /rotate/);
    expect(() => checkPipelines([[{ id: 'cutout', options: { size: 2 } }], 'strong'])).to.throw(ConfigError, /size/);
  });

  it('a plugin-registered transform runs in a pipeline and sees the shape the previous transform outputs', () => {
    const seen: number[][] = [];
    const invert: TransformFactory<{ amount: number }> = {
      id: 'invert',
      options: z.object({ amount: z.number().min(0).max(1).default(1) }).strict(),
      create(o, { sampleShape }) {
        seen.push([...sampleShape]);
        return { id: 'invert', outputShape: (s) => [...s], apply: (x) => tf.sub(o.amount, x) as tfc.Tensor4D };
      },
    };
    const r = dataRegistry();
    r.registrar('clusterflow-plugin-invert').transform(invert);
    const crop = { id: 'random-resized-crop', options: { size: [16, 16] } };
    const options = multiViewAugmentation.options.parse({ views: 2, transforms: [crop, { id: 'invert' }] });
    expect(() => multiViewAugmentation.check!(options, r)).to.not.throw();
    expect(() => multiViewAugmentation.check!({ ...options, transforms: [{ id: 'invert', options: { amount: 2 } }] }, r)).to.throw(ConfigError, /amount/);
    const aug = multiViewAugmentation.create(options, { sampleShape: [24, 28, 3], registry: r });
    expect(seen).to.deep.equal([[16, 16, 3]]);
    expect(aug.outputShape([24, 28, 3])).to.deep.equal([16, 16, 3]);
    const n = tf.memory().numTensors;
    const views = aug.views(color, new Rng(3));
    // The plugin draws nothing from rng, so the same seed without it gives the same crops.
    const crops = multiView({ views: 2, transforms: [crop] }, { sampleShape: [24, 28, 3], registry: r }).views(color, new Rng(3));
    expect(values(views)).to.deep.equal(tf.tidy(() => values(crops.map((c) => tf.sub(1, c)))));
    dispose([...views, ...crops]);
    expect(tf.memory().numTensors).to.equal(n);
  });

  it('identity: numViews copies of the batch for embeddings', () => {
    const aug = identity.create(identity.options.parse({ views: 2 }), ctx([5]));
    const x = tf.tensor2d([[1, 2, 3, 4, 5]]);
    const n = tf.memory().numTensors;
    const v = aug.views(x, new Rng(0));
    expect(v.length).to.equal(2);
    expect(values(v)).to.deep.equal([
      [1, 2, 3, 4, 5],
      [1, 2, 3, 4, 5],
    ]);
    dispose(v);
    expect(tf.memory().numTensors).to.equal(n);
    expect(x.isDisposed).to.equal(false);
    x.dispose();
  });

  it('register adds every dataset, augmentation and transform under its id', () => {
    const r = dataRegistry();
    expect(
      r
        .list('dataset')
        .map((e) => e.factory.id)
        .sort(),
    ).to.deep.equal(['cifar10', 'cifar100', 'fashion-mnist', 'idx', 'image-folder', 'vectors']);
    expect(
      r
        .list('augmentation')
        .map((e) => e.factory.id)
        .sort(),
    ).to.deep.equal(['identity', 'multi-view']);
    expect(r.list('transform').length).to.equal(11);
    expect(() => register(r.registrar('again'))).to.throw(/already registered/);
  });
});
