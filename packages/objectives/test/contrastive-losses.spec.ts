import type * as tfc from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import { assignmentEntropy, clusterContrastiveLoss, ntXent } from '../src/contrastive/index.js';
import { l2Normalize } from '../src/ops/index.js';
import { expectAllClose, expectClose, loadFixture } from './support/contrastive.js';

const fixture = loadFixture();

describe('contrastive losses', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  describe('ntXent', () => {
    for (const c of fixture.ntxent) {
      it(`matches PyTorch in loss and gradients (${c.name})`, () => {
        const za = tf.tensor2d(c.za);
        const zb = tf.tensor2d(c.zb);
        const before = tf.memory().numTensors;
        const { value, grads } = tf.valueAndGrads((a: tfc.Tensor, b: tfc.Tensor) => ntXent(a as tfc.Tensor2D, b as tfc.Tensor2D, c.tau))([za, zb]);
        expectClose(value.dataSync()[0], c.loss, 'loss');
        expectAllClose(grads[0], c.grad_za, 'grad za');
        expectAllClose(grads[1], c.grad_zb, 'grad zb');
        tf.dispose([value, ...grads]);
        expect(tf.memory().numTensors).to.equal(before);
        tf.dispose([za, zb]);
      });
    }

    it('gives exactly log(2N - 1) for a batch of identical embeddings', () => {
      for (const [n, tau] of [
        [1, 0.5],
        [7, 0.5],
        [64, 0.07],
      ] as const) {
        const z = tf.ones([n, 16]) as tfc.Tensor2D;
        const loss = ntXent(z, z, tau);
        const v = loss.dataSync()[0];
        expect(Number.isFinite(v)).to.equal(true);
        expect(v).to.be.closeTo(Math.log(2 * n - 1), 1e-5);
        tf.dispose([z, loss]);
      }
    });

    it('normalises rows itself: scaling a row changes nothing', () => {
      const rng = new Rng(3);
      const a = tf.randomNormal([6, 5], 0, 1, 'float32', rng.tfSeed()) as tfc.Tensor2D;
      const b = tf.randomNormal([6, 5], 0, 1, 'float32', rng.tfSeed()) as tfc.Tensor2D;
      const scale = tf.tensor2d([0.01, 1, 7, 100, 0.5, 3], [6, 1]);
      const l1 = ntXent(a, b, 0.5).dataSync()[0];
      const sa = tf.mul(a, scale) as tfc.Tensor2D;
      const l2 = ntXent(sa, b, 0.5).dataSync()[0];
      const na = l2Normalize(a);
      const l3 = ntXent(na, l2Normalize(b), 0.5).dataSync()[0];
      expect(l2).to.be.closeTo(l1, 1e-5);
      expect(l3).to.be.closeTo(l1, 1e-5);
      tf.dispose([a, b, scale, sa, na]);
    });

    it('is symmetric in its two views', () => {
      const rng = new Rng(11);
      const a = tf.randomNormal([9, 4], 0, 1, 'float32', rng.tfSeed()) as tfc.Tensor2D;
      const b = tf.randomNormal([9, 4], 0, 1, 'float32', rng.tfSeed()) as tfc.Tensor2D;
      const ab = ntXent(a, b, 0.3).dataSync()[0];
      const ba = ntXent(b, a, 0.3).dataSync()[0];
      expect(ab).to.be.closeTo(ba, 1e-6);
      // not symmetric by accident of equal values: swapping one view's rows changes it
      const shuffled = tf.reverse(b, 0) as tfc.Tensor2D;
      expect(Math.abs(ntXent(a, shuffled, 0.3).dataSync()[0] - ab)).to.be.greaterThan(1e-3);
      tf.dispose([a, b, shuffled]);
    });

    it('decreases under 20 plain gradient steps on random embeddings', () => {
      const rng = new Rng(5);
      const a = tf.variable(tf.randomNormal([16, 8], 0, 1, 'float32', rng.tfSeed()));
      const b = tf.variable(tf.randomNormal([16, 8], 0, 1, 'float32', rng.tfSeed()));
      const opt = tf.train.sgd(0.5);
      const lossAt = () => tf.tidy(() => ntXent(a as tfc.Tensor2D, b as tfc.Tensor2D, 0.5).dataSync()[0]);
      const first = lossAt();
      const seen: number[] = [first];
      for (let i = 0; i < 20; i++) {
        const cost = opt.minimize(() => ntXent(a as tfc.Tensor2D, b as tfc.Tensor2D, 0.5), true, [a, b]);
        cost?.dispose();
        seen.push(lossAt());
      }
      const last = seen[seen.length - 1];
      expect(last, `losses ${seen.map((x) => x.toFixed(4)).join(' ')}`).to.be.lessThan(first - 0.2);
      tf.dispose([a, b]);
      opt.dispose();
    });

    it('rejects views of different shapes and a non-positive temperature', () => {
      const a = tf.zeros([4, 3]) as tfc.Tensor2D;
      const b = tf.zeros([5, 3]) as tfc.Tensor2D;
      expect(() => ntXent(a, b, 0.5)).to.throw(/equal shape/);
      expect(() => ntXent(a, a, 0)).to.throw(/temperature/);
      tf.dispose([a, b]);
    });
  });

  describe('clusterContrastiveLoss', () => {
    for (const c of fixture.cluster) {
      it(`matches PyTorch w.r.t. the assignments (${c.name})`, () => {
        const ya = tf.tensor2d(c.ya);
        const yb = tf.tensor2d(c.yb);
        const opts = { temperature: c.tau, entropyWeight: c.entropyWeight };
        const parts = clusterContrastiveLoss(ya, yb, opts);
        expectClose(parts.contrast.dataSync()[0], c.contrast, 'contrast');
        expectClose(parts.entropy.dataSync()[0], c.entropy, 'entropy');
        expectClose(parts.loss.dataSync()[0], c.loss, 'loss');
        tf.dispose([parts.contrast, parts.entropy, parts.loss]);
        const before = tf.memory().numTensors;
        const { value, grads } = tf.valueAndGrads((a: tfc.Tensor, b: tfc.Tensor) => clusterContrastiveLoss(a as tfc.Tensor2D, b as tfc.Tensor2D, opts).loss)([
          ya,
          yb,
        ]);
        expectClose(value.dataSync()[0], c.loss, 'loss');
        expectAllClose(grads[0], c.grad_ya, 'grad ya');
        expectAllClose(grads[1], c.grad_yb, 'grad yb');
        tf.dispose([value, ...grads]);
        expect(tf.memory().numTensors).to.equal(before);
        tf.dispose([ya, yb]);
      });

      it(`matches PyTorch w.r.t. the logits through the softmax (${c.name})`, () => {
        const la = tf.tensor2d(c.logits_a);
        const lb = tf.tensor2d(c.logits_b);
        const opts = { temperature: c.tau, entropyWeight: c.entropyWeight };
        const { value, grads } = tf.valueAndGrads(
          (a: tfc.Tensor, b: tfc.Tensor) => clusterContrastiveLoss(tf.softmax(a) as tfc.Tensor2D, tf.softmax(b) as tfc.Tensor2D, opts).loss,
        )([la, lb]);
        expectClose(value.dataSync()[0], c.loss, 'loss');
        expectAllClose(grads[0], c.grad_logits_a, 'grad logits a');
        expectAllClose(grads[1], c.grad_logits_b, 'grad logits b');
        tf.dispose([value, ...grads, la, lb]);
      });
    }

    it('differs from the official log K + Σ P log P form by the constant 2 log K (entropyWeight 1)', () => {
      const cases = fixture.cluster.filter((c) => c.entropyWeight === 1);
      expect(cases.length).to.be.greaterThan(0);
      for (const c of cases) {
        const ya = tf.tensor2d(c.ya);
        const yb = tf.tensor2d(c.yb);
        const { contrast, entropy, loss } = clusterContrastiveLoss(ya, yb, { temperature: c.tau });
        const k = c.ya[0].length;
        expectClose(loss.dataSync()[0] + 2 * Math.log(k), c.official_loss, 'official form');
        tf.dispose([ya, yb, contrast, entropy, loss]);
      }
    });

    it('gives the closed-form finite loss for a collapsed head (everything in one cluster)', () => {
      const n = 6;
      const k = 4;
      const tau = 1.0;
      // Logits with a 200-wide gap: the softmax puts exactly 0 on clusters 1..K-1 in float32.
      const logits = tf.tensor2d(Array.from({ length: n }, () => [100, -100, -100, -100]));
      const y = tf.softmax(logits) as tfc.Tensor2D;
      expect(Array.from(y.dataSync()).filter((v) => v === 0).length).to.equal(n * (k - 1));
      const { contrast, entropy, loss } = clusterContrastiveLoss(y, y, { temperature: tau });
      // Cluster 0's column is the same unit vector in both views; the other 2K-2 are zero vectors.
      const full = 2 * (Math.log(Math.exp(1 / tau) + 2 * k - 2) - 1 / tau) + (2 * k - 2) * Math.log(2 * k - 1);
      expect(contrast.dataSync()[0]).to.be.closeTo(full / (2 * k), 1e-5);
      expect(entropy.dataSync()[0]).to.equal(0);
      expect(loss.dataSync()[0]).to.be.closeTo(full / (2 * k), 1e-5);
      const g = tf.grad((l: tfc.Tensor) => clusterContrastiveLoss(tf.softmax(l) as tfc.Tensor2D, tf.softmax(tf.reverse(l, 0)) as tfc.Tensor2D).loss)(logits);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).to.equal(true);
      tf.dispose([logits, y, contrast, entropy, loss, g]);
    });

    it('assignmentEntropy is log K for a balanced batch and 0 for one cluster', () => {
      const balanced = tf.tensor2d([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]);
      const uniform = tf.fill([5, 3], 1 / 3) as tfc.Tensor2D;
      const one = tf.tensor2d([
        [0, 1, 0],
        [0, 1, 0],
      ]);
      const h = [balanced, uniform, one].map((y) => {
        const e = assignmentEntropy(y);
        const v = e.dataSync()[0];
        e.dispose();
        return v;
      });
      expect(h[0]).to.be.closeTo(Math.log(3), 1e-6);
      expect(h[1]).to.be.closeTo(Math.log(3), 1e-6);
      expect(h[2]).to.equal(0);
      tf.dispose([balanced, uniform, one]);
    });
  });
});
