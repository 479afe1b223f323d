import { expect } from 'chai';
import { ConfigError, Rng, UnknownComponentError, selectBackend, tf, type ComponentRef } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { adjustHue, inverseAffineRow, warpAffine, loadIdx, luma, TRANSFORMS } from '@clusterflow/data';
import { fixture } from './support/fixtures.js';
import { dataRegistry } from './support/registry.js';

describe('image transforms', () => {
  let gray: tfc.Tensor4D; // [6, 28, 28, 1] Fashion-MNIST
  let color: tfc.Tensor4D; // [6, 24, 28, 3] idx4 fixture (non-square)
  before(async () => {
    await selectBackend('cpu');
    gray = loadIdx({ images: fixture('fmnist64-images-idx3-ubyte.gz') }).batch(Int32Array.of(0, 1, 2, 3, 4, 5)) as tfc.Tensor4D;
    color = loadIdx({ images: fixture('fmnist8-color-idx4-ubyte') }).batch(Int32Array.of(0, 1, 2, 3, 4, 5)) as tfc.Tensor4D;
  });
  after(() => {
    gray.dispose();
    color.dispose();
  });

  // Built as a pipeline builds them: looked up in the registry, options validated there.
  const registry = dataRegistry();
  const make = (spec: ComponentRef, shape: readonly number[]) => registry.build('transform', spec, { sampleShape: shape });
  const run = (spec: ComponentRef, x: tfc.Tensor4D, seed: number) =>
    tf.tidy(() => {
      const y = make(spec, x.shape.slice(1)).apply(x, new Rng(seed));
      return { shape: y.shape, v: y.dataSync().slice() };
    });
  const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  };

  const cases: [ComponentRef, 'gray' | 'color'][] = [
    [{ id: 'random-resized-crop', options: { scale: [0.2, 1] } }, 'color'],
    [{ id: 'flip', options: { p: 0.5 } }, 'gray'],
    [{ id: 'color-jitter', options: { p: 1 } }, 'color'],
    [{ id: 'grayscale', options: { p: 0.5 } }, 'color'],
    [{ id: 'gaussian-blur', options: { p: 1 } }, 'color'],
    [{ id: 'random-crop', options: { padding: 4 } }, 'gray'],
    [{ id: 'affine', options: { degrees: 20 } }, 'gray'],
    [{ id: 'gaussian-noise', options: { p: 1 } }, 'gray'],
    [{ id: 'random-erasing', options: { p: 1 } }, 'gray'],
    [{ id: 'rand-augment' }, 'gray'],
    [{ id: 'rand-augment', options: { n: 2 } }, 'color'],
    [{ id: 'cutout' }, 'gray'],
  ];
  for (const [spec, kind] of cases) {
    it(`${spec.id}: keeps shape and [0, 1], changes the input, repeats from the same rng state`, () => {
      const x = kind === 'gray' ? gray : color;
      const n = tf.memory().numTensors;
      const a = run(spec, x, 11);
      const b = run(spec, x, 11);
      const c = run(spec, x, 12);
      expect(tf.memory().numTensors).to.equal(n);
      expect(a.shape).to.deep.equal(x.shape);
      expect(Math.min(...a.v)).to.be.at.least(0);
      expect(Math.max(...a.v)).to.be.at.most(1);
      expect(maxAbs(a.v, x.dataSync())).to.be.above(0.05);
      expect(maxAbs(a.v, b.v)).to.equal(0);
      expect(maxAbs(a.v, c.v)).to.be.above(0);
    });
  }

  it('with p = 0 the probabilistic transforms leave the batch unchanged', () => {
    for (const id of ['flip', 'color-jitter', 'grayscale', 'gaussian-blur', 'affine', 'gaussian-noise', 'random-erasing', 'cutout'] as const) {
      const r = run({ id, options: { p: 0 } }, color, 5);
      expect(maxAbs(r.v, color.dataSync()), id).to.be.below(1e-6);
    }
  });

  it('flip of a flip is the identity; one flip mirrors exactly', () => {
    tf.tidy(() => {
      const f = make({ id: 'flip', options: { p: 1 } }, [28, 28, 1]);
      const once = f.apply(gray, new Rng(0));
      expect(maxAbs(once.dataSync(), tf.reverse(gray, 2).dataSync())).to.equal(0);
      expect(maxAbs(f.apply(once, new Rng(1)).dataSync(), gray.dataSync())).to.equal(0);
    });
  });

  it('random-crop outputs are shifted windows of the zero-padded input', () => {
    tf.tidy(() => {
      const y = make({ id: 'random-crop', options: { padding: 3 } }, [28, 28, 1]).apply(gray, new Rng(4));
      const padded = tf.pad(gray, [
        [0, 0],
        [3, 3],
        [3, 3],
        [0, 0],
      ]);
      for (let b = 0; b < 6; b++) {
        const yb = tf.slice(y, [b, 0, 0, 0], [1, 28, 28, 1]).dataSync();
        let found = false;
        for (let dy = 0; dy <= 6 && !found; dy++)
          for (let dx = 0; dx <= 6 && !found; dx++) found = maxAbs(yb, tf.slice(padded, [b, dy, dx, 0], [1, 28, 28, 1]).dataSync()) < 1e-6;
        expect(found, `sample ${b}`).to.equal(true);
      }
    });
  });

  it('random-resized-crop can change the output size', () => {
    const t = make({ id: 'random-resized-crop', options: { size: [16, 12] } }, [24, 28, 3]);
    expect(t.outputShape([24, 28, 3])).to.deep.equal([16, 12, 3]);
    tf.tidy(() => {
      expect(t.apply(color, new Rng(0)).shape).to.deep.equal([6, 16, 12, 3]);
    });
  });

  it('grayscale makes the three channels equal to the luma', () => {
    tf.tidy(() => {
      const y = make({ id: 'grayscale', options: { p: 1 } }, [24, 28, 3]).apply(color, new Rng(0));
      const [r, g, b] = tf.split(y, 3, 3);
      expect(maxAbs(r.dataSync(), g.dataSync())).to.equal(0);
      expect(maxAbs(r.dataSync(), b.dataSync())).to.equal(0);
      expect(maxAbs(r.dataSync(), luma(color).dataSync())).to.be.below(1e-6);
    });
  });

  it('hue rotation keeps luma, and two half turns come back', () => {
    tf.tidy(() => {
      const mid = tf.add(tf.mul(color, 0.3), 0.35) as tfc.Tensor4D; // stays in gamut
      const half = adjustHue(mid, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
      expect(maxAbs(half.dataSync(), mid.dataSync())).to.be.above(0.05);
      expect(maxAbs(luma(half).dataSync(), luma(mid).dataSync())).to.be.below(1e-5);
      expect(maxAbs(adjustHue(half, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]).dataSync(), mid.dataSync())).to.be.below(1e-5);
      expect(maxAbs(adjustHue(mid, [0, 0, 0, 0, 0, 0]).dataSync(), mid.dataSync())).to.be.below(1e-6);
    });
  });

  it('affine rows: a quarter turn is rot90 and an integer shift moves pixels', () => {
    tf.tidy(() => {
      const x = tf.slice(gray, [1, 0, 0, 0], [2, 28, 28, 1]) as tfc.Tensor4D;
      const rot = warpAffine(x, [inverseAffineRow(28, 28, 90, 0, 0, 1, 0), inverseAffineRow(28, 28, 90, 0, 0, 1, 0)], 0);
      const rot90 = tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 1); // one of the two quarter turns
      const rot270 = tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 2);
      expect(Math.min(maxAbs(rot.dataSync(), rot90.dataSync()), maxAbs(rot.dataSync(), rot270.dataSync()))).to.be.below(1e-5);
      const shifted = warpAffine(x, [inverseAffineRow(28, 28, 0, 3, -2, 1, 0), inverseAffineRow(28, 28, 0, 3, -2, 1, 0)], 0);
      const want = tf.pad(tf.slice(x, [0, 2, 0, 0], [2, 26, 25, 1]), [
        [0, 0],
        [0, 2],
        [3, 0],
        [0, 0],
      ]);
      expect(maxAbs(shifted.dataSync(), want.dataSync())).to.be.below(1e-5);
    });
  });

  it('warpAffine agrees with tf.image.transform on single samples (where its cpu kernel is right)', () => {
    tf.tidy(() => {
      for (let b = 0; b < 3; b++) {
        const x = tf.slice(color, [b, 0, 0, 0], [1, 24, 28, 3]) as tfc.Tensor4D;
        const row = inverseAffineRow(24, 28, 17 + 20 * b, 1.3, -2.2, 0.9 + 0.1 * b, 5);
        const want = tf.image.transform(x, tf.tensor2d([row]), 'bilinear', 'constant', 0.25);
        expect(maxAbs(warpAffine(x, [row], 0.25).dataSync(), want.dataSync())).to.be.below(1e-5);
      }
    });
  });

  it('affine on wasm (the Transform kernel) equals the gather warp used on cpu, per sample', async () => {
    const spec: ComponentRef = { id: 'affine', options: { degrees: 30, translate: [0.2, 0.1], scale: [0.8, 1.2], shear: 10, fill: 0.25 } };
    const onCpu = run(spec, color, 3);
    await selectBackend('wasm');
    try {
      const x = tf.tensor4d(color.dataSync(), color.shape);
      const onWasm = tf.tidy(() => make(spec, x.shape.slice(1)).apply(x, new Rng(3)).dataSync().slice());
      x.dispose();
      expect(onWasm.length).to.equal(onCpu.v.length);
      expect(maxAbs(onWasm, onCpu.v)).to.be.below(1e-5);
      expect(maxAbs(onCpu.v, color.dataSync())).to.be.above(0.1); // it did transform
    } finally {
      await selectBackend('cpu');
    }
  });

  it('random-erasing sets one rectangle per sample to the value and keeps the rest', () => {
    tf.tidy(() => {
      const x = tf.add(tf.mul(gray, 0.5), 0.25) as tfc.Tensor4D; // no pixel is 0 before erasing
      const y = make({ id: 'random-erasing', options: { p: 1, value: 0 } }, [28, 28, 1]).apply(x, new Rng(9));
      const yv = y.dataSync(),
        xv = x.dataSync();
      for (let b = 0; b < 6; b++) {
        let [t, l, bt, r, n] = [99, 99, -1, -1, 0];
        for (let i = 0; i < 28; i++)
          for (let j = 0; j < 28; j++) {
            const k = b * 784 + i * 28 + j;
            if (yv[k] !== xv[k]) {
              expect(yv[k]).to.equal(0);
              [t, l, bt, r, n] = [Math.min(t, i), Math.min(l, j), Math.max(bt, i), Math.max(r, j), n + 1];
            }
          }
        expect(n, `sample ${b}`).to.be.above(0);
        expect(n, `sample ${b} is a rectangle`).to.equal((bt - t + 1) * (r - l + 1));
      }
    });
  });

  it('rand-augment: identity alone changes nothing; one operation reaches every sample, each with its own magnitude', () => {
    tf.tidy(() => {
      const same = make({ id: 'rand-augment', options: { ops: ['identity'] } }, [24, 28, 3]).apply(color, new Rng(1));
      expect(maxAbs(same.dataSync(), color.dataSync())).to.equal(0);
      // One round of solarize: each pixel is x or 1 - x, and samples differ in where they flip.
      const y = make({ id: 'rand-augment', options: { ops: ['solarize'], n: 1 } }, [28, 28, 1]).apply(gray, new Rng(2));
      const [yv, xv] = [y.dataSync(), gray.dataSync()];
      for (let i = 0; i < xv.length; i++) expect(Math.min(Math.abs(yv[i] - xv[i]), Math.abs(yv[i] - (1 - xv[i])))).to.be.below(1e-6);
      const flipped = Array.from({ length: 6 }, (_, b) => {
        let n = 0;
        for (let i = b * 784; i < (b + 1) * 784; i++) if (Math.abs(yv[i] - xv[i]) > 1e-6) n++;
        return n;
      });
      expect(new Set(flipped).size, `pixels solarized per sample: ${flipped}`).to.be.above(1);
      // A translation by a whole fraction of the width shifts every sample (bilinear, zero fill).
      const t = make({ id: 'rand-augment', options: { ops: ['translate-x'], n: 1 } }, [28, 28, 1]).apply(gray, new Rng(3));
      expect(maxAbs(t.dataSync(), gray.dataSync())).to.be.above(0.1);
    });
  });

  it('rand-augment refuses colour on gray images and sharpness on images under 3x3', () => {
    expect(() => make({ id: 'rand-augment', options: { ops: ['color'] } }, [28, 28, 1])).to.throw(ConfigError, /3-channel/);
    expect(() => make({ id: 'rand-augment' }, [28, 28, 1])).to.not.throw(); // the default list leaves colour out
    expect(() => make({ id: 'rand-augment', options: { ops: ['sharpness'] } }, [2, 8, 1])).to.throw(ConfigError, /3x3/);
    expect(() => registry.options('transform', { id: 'rand-augment', options: { ops: ['equalize'] } })).to.throw(ConfigError);
  });

  it('cutout blanks one clipped square per sample, its side at most the asked-for fraction of the image', () => {
    tf.tidy(() => {
      const x = tf.add(tf.mul(gray, 0.5), 0.25) as tfc.Tensor4D; // no pixel is 0.9 before
      const y = make({ id: 'cutout', options: { size: 0.5, fill: 0.9 } }, [28, 28, 1]).apply(x, new Rng(5));
      const [yv, xv] = [y.dataSync(), x.dataSync()];
      let holes = 0;
      for (let b = 0; b < 6; b++) {
        let [t, l, bt, r, n] = [99, 99, -1, -1, 0];
        for (let i = 0; i < 28; i++)
          for (let j = 0; j < 28; j++) {
            const k = b * 784 + i * 28 + j;
            if (yv[k] !== xv[k]) {
              expect(yv[k]).to.be.closeTo(0.9, 1e-6);
              [t, l, bt, r, n] = [Math.min(t, i), Math.min(l, j), Math.max(bt, i), Math.max(r, j), n + 1];
            }
          }
        if (n === 0) continue; // a side-1 hole is empty, as in SCAN's Cutout
        holes++;
        expect(n, `sample ${b} is a rectangle`).to.equal((bt - t + 1) * (r - l + 1));
        expect(Math.max(bt - t + 1, r - l + 1), `sample ${b}`).to.be.at.most(14);
      }
      expect(holes).to.be.above(3);
    });
  });

  it('gaussian-noise has the asked-for spread', () => {
    tf.tidy(() => {
      const x = tf.fill([6, 28, 28, 1], 0.5) as tfc.Tensor4D;
      const y = make({ id: 'gaussian-noise', options: { p: 1, std: 0.1 } }, [28, 28, 1]).apply(x, new Rng(2));
      const { variance } = tf.moments(tf.sub(y, x));
      expect(Math.sqrt(variance.dataSync()[0])).to.be.closeTo(0.1, 0.01);
    });
  });

  it('rejects colour transforms on 1-channel images, unknown keys and unknown ids', () => {
    expect(() => make({ id: 'color-jitter' }, [28, 28, 1])).to.throw(ConfigError, /saturation and hue to 0/);
    expect(() => make({ id: 'grayscale' }, [28, 28, 1])).to.throw(ConfigError, /3-channel/);
    expect(() => make({ id: 'color-jitter', options: { saturation: 0, hue: 0, p: 1 } }, [28, 28, 1])).to.not.throw();
    expect(() => registry.options('transform', { id: 'flip', options: { prob: 1 } })).to.throw(ConfigError, /prob/);
    expect(() => registry.options('transform', { id: 'rotate' })).to.throw(UnknownComponentError, /rotate/);
    expect(() => make({ id: 'gaussian-blur', options: { kernelSize: 4 } }, [28, 28, 1])).to.throw(ConfigError, /odd/);
  });

  it('every transform is registered under its id, builds from default options, and takes no id among its options', () => {
    expect(registry.list('transform').map((e) => e.factory.id)).to.deep.equal(TRANSFORMS.map((f) => f.id));
    for (const f of TRANSFORMS) {
      const t = make({ id: f.id }, [24, 28, 3]);
      expect(t.id).to.equal(f.id);
      expect(() => f.options.parse({ id: f.id }), f.id).to.throw(/id/);
    }
  });
});
