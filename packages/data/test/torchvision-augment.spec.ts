import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type * as tfc from '@tensorflow/tfjs-core';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import { cropBoxes, drawResizedCrop, jitterImages, pixelBox, resizedCrop, roundHalfEven, type CropBox, type JitterParams } from '@clusterflow/data';
import { fixture } from './support/fixtures.js';
import { dataRegistry } from './support/registry.js';

// Expected values from fixtures/make_torchvision_augment.py: torchvision 0.14 and PIL 9.4
// themselves (resized_crop on PIL images, ColorJitter's functionals, RandomResizedCrop.get_params).
interface Fixture {
  images: Record<string, { shape: [number, number, number]; levels: number[] }>;
  crop: { image: string; box: CropBox; size: [number, number]; uint8: number[]; float: number[] }[];
  jitter: { image: string; order: number[]; factors: (number | null)[]; uint8: number[]; float: number[] }[];
  grayscale: number[];
  sampler: {
    H: number;
    W: number;
    scale: [number, number];
    ratio: [number, number];
    draws: number;
    fallback: number;
    hw: Record<string, number>;
    top: Record<string, number>;
    left: Record<string, number>;
  }[];
}

const ref = JSON.parse(readFileSync(fixture('torchvision-augment.json'), 'utf8')) as Fixture;
const LEVEL = 1 / 255;

function image(name: string): tfc.Tensor4D {
  const { shape, levels } = ref.images[name];
  return tf.tensor4d(
    Float32Array.from(levels, (v) => v / 255),
    [1, ...shape],
  );
}

function maxDiff(got: ArrayLike<number>, want: ArrayLike<number>, scale = 1): number {
  expect(got.length).to.equal(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i] * scale));
  return m;
}

/** Two-sample Kolmogorov-Smirnov statistic between two weighted histograms over numeric keys. */
function ks(a: Map<number, number>, b: Map<number, number>): number {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  const na = [...a.values()].reduce((s, v) => s + v, 0);
  const nb = [...b.values()].reduce((s, v) => s + v, 0);
  let [ca, cb, d] = [0, 0, 0];
  for (const k of keys) {
    ca += (a.get(k) ?? 0) / na;
    cb += (b.get(k) ?? 0) / nb;
    d = Math.max(d, Math.abs(ca - cb));
  }
  return d;
}

function histogram<T>(items: T[], key: (t: T) => number, weight: (t: T) => number = () => 1): Map<number, number> {
  const h = new Map<number, number>();
  for (const t of items) h.set(key(t), (h.get(key(t)) ?? 0) + weight(t));
  return h;
}

/** An Rng that counts int() calls: get_params draws the offsets only when a try succeeds. */
class CountingRng extends Rng {
  ints = 0;
  override int(n: number): number {
    this.ints++;
    return super.int(n);
  }
}

describe('augmentation vs torchvision / PIL (fixtures from make_torchvision_augment.py)', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  describe('resized crop', () => {
    for (const c of ref.crop) {
      it(`${c.image} box [${c.box}] -> ${c.size.join('x')}: PIL's bilinear resampling within float rounding, its uint8 output within 1/255`, () => {
        const n = tf.memory().numTensors;
        tf.tidy(() => {
          const got = resizedCrop(image(c.image), [c.box], c.size).dataSync();
          expect(maxDiff(got, c.float)).to.be.below(1e-5);
          expect(maxDiff(got, c.uint8, LEVEL)).to.be.at.most(LEVEL + 1e-6);
        });
        expect(tf.memory().numTensors).to.equal(n);
      });
    }

    it('the old corner-to-corner sampling misses PIL by more than 1/255 on enlarged crops (the fixture tells them apart)', () => {
      const enlarged = ref.crop.filter((c) => c.box[2] < c.size[0] && c.box[3] < c.size[1]);
      expect(enlarged.length).to.be.at.least(3);
      for (const c of enlarged) {
        const [, H, W] = ref.images[c.image].shape;
        const old = tf.tidy(() => cropBoxes(image(c.image), [pixelBox(...c.box, H, W, ...c.size)], c.size).dataSync());
        expect(maxDiff(old, c.uint8, LEVEL)).to.be.above(4 * LEVEL);
      }
    });

    it('crops a batch, one box per sample, as one crop at a time', () => {
      const x = tf.concat([image('gray0'), image('gray1'), image('gray2')]);
      const boxes: CropBox[] = ref.crop.slice(0, 3).map((c) => c.box);
      const got = tf.tidy(() => resizedCrop(x, boxes, [28, 28]).dataSync());
      ref.crop.slice(0, 3).forEach((c, b) => expect(maxDiff(got.subarray(b * 784, (b + 1) * 784), c.float)).to.be.below(1e-5));
      x.dispose();
    });
  });

  describe('colour jitter', () => {
    for (const kind of ['gray', 'colour', 'colour with hue']) {
      const withHue = kind.endsWith('hue');
      it(`${kind}: per-image factors and orders in one batch match torchvision's tensor functionals${withHue ? '' : "; PIL's uint8 within 4/255"}`, () => {
        const cases = ref.jitter.filter((c) => c.image.startsWith(kind.split(' ')[0]) && (c.factors[3] !== null) === withHue);
        expect(cases.length).to.be.at.least(3);
        const x = tf.concat(cases.map((c) => image(c.image)));
        const params: JitterParams[] = cases.map((c) => ({
          factors: c.factors.map((f, k) => f ?? [1, 1, 1, 0][k]) as JitterParams['factors'],
          order: c.order,
        }));
        const enabled = cases[0].factors.map((f) => f !== null);
        const n = tf.memory().numTensors;
        const got = tf.tidy(() => jitterImages(x, params, enabled).dataSync());
        expect(tf.memory().numTensors).to.equal(n);
        const size = got.length / cases.length;
        cases.forEach((c, b) => {
          const mine = got.subarray(b * size, (b + 1) * size);
          // torchvision's tensor rgb_to_grayscale weighs red 0.2989, PIL (and we) 0.299.
          expect(maxDiff(mine, c.float)).to.be.below(kind === 'gray' ? 1e-5 : 1e-4);
          // PIL truncates to uint8 after every op and rounds the contrast mean to a level
          // (and shifts hue on a 256-level circle: 12.6/255 apart on these cases).
          if (!withHue) expect(maxDiff(mine, c.uint8, LEVEL)).to.be.at.most(4 * LEVEL);
        });
        // One order for the whole batch (the old draws) misses some sample by more than 1/255.
        const shared = tf.tidy(() =>
          jitterImages(
            x,
            params.map((p) => ({ ...p, order: params[0].order })),
            enabled,
          ).dataSync(),
        );
        const worst = Math.max(...cases.map((c, b) => maxDiff(shared.subarray(b * size, (b + 1) * size), c.float)));
        expect(worst).to.be.above(LEVEL);
        if (withHue) {
          // The old YIQ rotation misses torchvision's HSV hue by more than 1/255.
          const yiq = tf.tidy(() => jitterImages(x, params, enabled, 'yiq').dataSync());
          expect(Math.max(...cases.map((c, b) => maxDiff(yiq.subarray(b * size, (b + 1) * size), c.float)))).to.be.above(LEVEL);
        }
        x.dispose();
      });
    }
  });

  describe('RandomResizedCrop.get_params', () => {
    it('rounds halves to even as Python does', () => {
      expect([0.5, 1.5, 2.5, 12.5, 13.5, 2.4, 2.6].map(roundHalfEven)).to.deep.equal([0, 2, 2, 12, 14, 2, 3]);
    });

    for (const s of ref.sampler) {
      it(`${s.H}x${s.W}, scale [${s.scale}], ratio [${s.ratio.map((r) => r.toFixed(2))}]: same crop sizes, offsets and fallback rate as torchvision`, () => {
        const rng = new CountingRng(29);
        const n = s.draws;
        const draws: CropBox[] = [];
        let fallback = 0;
        for (let i = 0; i < n; i++) {
          const before = rng.ints;
          draws.push(drawResizedCrop(rng, s.H, s.W, s.scale, s.ratio));
          if (rng.ints === before) fallback++;
        }
        // Binomial rates: 5 standard deviations of the difference of two independent estimates.
        const p = s.fallback / s.draws;
        expect(Math.abs(fallback / n - p)).to.be.at.most(5 * Math.sqrt((2 * p * (1 - p)) / n) + 1e-9);

        const theirs = Object.entries(s.hw).map(([k, v]) => ({ hw: k.split('x').map(Number), v }));
        const area = (h: number, w: number) => (h * w) / (s.H * s.W);
        // KS critical value for two samples of 1e5 at p = 1e-4 is about 0.01.
        const tol = 0.012;
        expect(
          ks(
            histogram(draws, ([, , h, w]) => area(h, w)),
            histogram(
              theirs,
              (t) => area(t.hw[0], t.hw[1]),
              (t) => t.v,
            ),
          ),
        ).to.be.below(tol);
        expect(
          ks(
            histogram(draws, ([, , h, w]) => w / h),
            histogram(
              theirs,
              (t) => t.hw[1] / t.hw[0],
              (t) => t.v,
            ),
          ),
        ).to.be.below(tol);
        expect(
          ks(
            histogram(draws, ([, , h]) => h),
            histogram(
              theirs,
              (t) => t.hw[0],
              (t) => t.v,
            ),
          ),
        ).to.be.below(tol);
        const offsets = (o: Record<string, number>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));
        expect(
          ks(
            histogram(draws, ([t]) => t),
            offsets(s.top),
          ),
        ).to.be.below(tol);
        expect(
          ks(
            histogram(draws, ([, l]) => l),
            offsets(s.left),
          ),
        ).to.be.below(tol);
        // The check has power: truncating instead of rounding the crop sides fails it wherever tries succeed.
        if (s.fallback < s.draws) {
          const floored = draws.map(([t, l, h, w]) => [t, l, Math.max(1, Math.floor(h - 0.5)), Math.max(1, Math.floor(w - 0.5))]);
          expect(
            ks(
              histogram(floored, ([, , h, w]) => area(h, w)),
              histogram(
                theirs,
                (t) => area(t.hw[0], t.hw[1]),
                (t) => t.v,
              ),
            ),
          ).to.be.above(3 * tol);
        }
      });
    }
  });

  describe('the registered transforms', () => {
    const sampleShape = [28, 28, 1];
    it('random-resized-crop draws a box per sample and resamples as resizedCrop', () => {
      const t = dataRegistry().build('transform', { id: 'random-resized-crop', options: { scale: [0.2, 1] } }, { sampleShape });
      const x = tf.concat([image('gray0'), image('gray1'), image('gray2'), image('gray0')]);
      const n = tf.memory().numTensors;
      const got = tf.tidy(() => t.apply(x, new Rng(7)).dataSync());
      const r = new Rng(7);
      const boxes = [0, 1, 2, 3].map(() => drawResizedCrop(r, 28, 28, [0.2, 1], [3 / 4, 4 / 3]));
      expect(new Set(boxes.map((b) => b.join())).size).to.equal(4);
      const want = tf.tidy(() => resizedCrop(x, boxes, [28, 28]).dataSync());
      expect(maxDiff(got, want)).to.equal(0);
      expect(tf.memory().numTensors).to.equal(n);
      x.dispose();
    });

    it('color-jitter draws, per sample, the coin, then its order and factors (as RandomApply(ColorJitter))', () => {
      const t = dataRegistry().build(
        'transform',
        { id: 'color-jitter', options: { brightness: 0.4, contrast: 0.4, saturation: 0, hue: 0, p: 0.8 } },
        { sampleShape },
      );
      const x = tf.tile(image('gray0'), [16, 1, 1, 1]) as tfc.Tensor4D;
      const n = tf.memory().numTensors;
      const got = tf.tidy(() => t.apply(x, new Rng(3)).dataSync());
      expect(tf.memory().numTensors).to.equal(n);
      const r = new Rng(3);
      const u = (lo: number, hi: number) => lo + (hi - lo) * r.float();
      const params: JitterParams[] = Array.from({ length: 16 }, () => {
        const on = r.float() < 0.8;
        const order = r.permutation(4);
        const factors: JitterParams['factors'] = [u(0.6, 1.4), u(0.6, 1.4), u(1, 1), u(-0, 0)];
        return on ? { factors, order } : { factors: [1, 1, 1, 0], order: [] };
      });
      const firsts = new Set(params.filter((p) => p.order.length).map((p) => Array.from(p.order).find((k) => k < 2)));
      expect([...firsts].sort()).to.deep.equal([0, 1]);
      const want = tf.tidy(() => jitterImages(x, params, [true, true, false, false]).dataSync());
      expect(maxDiff(got, want)).to.equal(0);
      x.dispose();
    });

    it("grayscale turns each sample gray with its own coin, as PIL's convert('L') within 1/255", () => {
      const t = dataRegistry().build('transform', { id: 'grayscale', options: { p: 0.5 } }, { sampleShape: [12, 10, 3] });
      const x = tf.tile(image('colour'), [32, 1, 1, 1]) as tfc.Tensor4D;
      const got = tf.tidy(() => t.apply(x, new Rng(5)).dataSync());
      const size = 12 * 10 * 3;
      let gray = 0;
      for (let b = 0; b < 32; b++) {
        const img = got.subarray(b * size, (b + 1) * size);
        const isGray = maxDiff(img, ref.grayscale, LEVEL) <= LEVEL;
        expect(isGray || maxDiff(img, ref.images.colour.levels, LEVEL) < 1e-6).to.equal(true);
        gray += Number(isGray);
      }
      expect(gray).to.be.within(8, 24);
      x.dispose();
    });

    it('flip mirrors each sample with its own coin', () => {
      const t = dataRegistry().build('transform', { id: 'flip', options: { p: 0.5 } }, { sampleShape });
      const x = tf.tile(image('gray1'), [32, 1, 1, 1]) as tfc.Tensor4D;
      const got = tf.tidy(() => t.apply(x, new Rng(11)).dataSync());
      const src = ref.images.gray1.levels;
      let flipped = 0;
      for (let b = 0; b < 32; b++) {
        const img = got.subarray(b * 784, (b + 1) * 784);
        const mirrored = src.map((_, i) => src[Math.floor(i / 28) * 28 + 27 - (i % 28)]);
        const isFlip = maxDiff(img, mirrored, LEVEL) < 1e-6;
        expect(isFlip || maxDiff(img, src, LEVEL) < 1e-6).to.equal(true);
        flipped += Number(isFlip);
      }
      expect(flipped).to.be.within(8, 24);
      x.dispose();
    });
  });
});
