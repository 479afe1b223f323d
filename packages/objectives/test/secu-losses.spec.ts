// SeCu's pure functions: the masked stop-gradient of the center loss is exact
// (only the assigned center receives gradient, equal to the closed form of spec
// §3.3), the representation loss leaves centers and targets alone, and the
// assignment steps (host constraint terms, device argmin) on hand-made scores.
import type * as tfc from '@tensorflow/tfjs-core';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import { expect } from 'chai';
import {
  addCounts,
  assignLabels,
  centerSimilarities,
  clusterCenterLoss,
  entropyTerms,
  entropyTermsFirstEpoch,
  plogp,
  representationLoss,
  sizeTerms,
  updateDuals,
  type ConstraintTerms,
} from '../src/secu/index.js';
import { l2Normalize, stopGradient } from '../src/ops/index.js';
import { expectClose } from './support/compare.js';

function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

describe('secu losses', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('stopGradient keeps the value and passes no gradient', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((v: tfc.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(v), v), stopGradient(tf.square(v)))))(x);
    // d/dv [sg(v)·v] = sg(v) = v; the second term contributes nothing.
    expect(Array.from(g.dataSync())).to.deep.equal([1, -2, 3]);
    expect(tf.tidy(() => Array.from(stopGradient(x).dataSync()))).to.deep.equal([1, -2, 3]);
    tf.dispose([x, g]);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('center loss: only the assigned columns get gradient, equal to −(1 − p_iy)·x_i/(B·λ_w) through normalize', () => {
    const rng = new Rng(3);
    const [b, d, k, tw] = [6, 5, 7, 0.1];
    const labels = Int32Array.from([2, 5, 2, 0, 5, 2]); // columns 1, 3, 4, 6 unassigned
    const zHost = randn(rng, b * d);
    const cHost = randn(rng, d * k);
    const before = tf.memory().numTensors;
    const z = tf.tidy(() => tf.variable(l2Normalize(tf.tensor2d(zHost, [b, d]), 1)));
    const c = tf.tidy(() => tf.variable(tf.tensor2d(cHost, [d, k])));
    const y = tf.tensor1d(labels, 'int32');
    // One view only: pass the same similarities twice and halve, to isolate one CE term.
    const { value, grads } = tf.variableGrads(
      () =>
        tf.tidy(() => {
          const s = centerSimilarities(z, c);
          return tf.mul(clusterCenterLoss(s, s, y, tw), 0.5) as tfc.Scalar;
        }),
      [z, c],
    );
    const gz = grads[z.name].dataSync();
    const gc = grads[c.name].dataSync();
    expect(
      Array.from(gz).every((v) => v === 0),
      'no gradient to the features',
    ).to.equal(true);

    // Closed form on the host in float64.
    const zs = z.dataSync();
    const norms = Array.from({ length: k }, (_, j) => Math.hypot(...Array.from({ length: d }, (_, r) => cHost[r * k + j])));
    const w = (r: number, j: number) => cHost[r * k + j] / norms[j];
    const gw = new Float64Array(d * k);
    let loss = 0;
    for (let i = 0; i < b; i++) {
      const logits = Array.from({ length: k }, (_, j) => {
        let s = 0;
        for (let r = 0; r < d; r++) s += zs[i * d + r] * w(r, j);
        return s / tw;
      });
      const m = Math.max(...logits);
      const lse = m + Math.log(logits.reduce((a, v) => a + Math.exp(v - m), 0));
      const p = Math.exp(logits[labels[i]] - lse);
      loss += (lse - logits[labels[i]]) / b;
      for (let r = 0; r < d; r++) gw[r * k + labels[i]] += (-(1 - p) * zs[i * d + r]) / (tw * b);
    }
    // Through w = c/||c||: dL/dc = (g − w·(wᵀg))/||c||.
    const expected = new Float64Array(d * k);
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let r = 0; r < d; r++) dot += w(r, j) * gw[r * k + j];
      for (let r = 0; r < d; r++) expected[r * k + j] = (gw[r * k + j] - w(r, j) * dot) / norms[j];
    }
    for (const j of [1, 3, 4, 6]) {
      for (let r = 0; r < d; r++) expect(gc[r * k + j], `unassigned column ${j}`).to.equal(0);
    }
    for (const j of [0, 2, 5]) {
      expect(
        Array.from({ length: d }, (_, r) => Math.abs(gc[r * k + j])).some((v) => v > 1e-4),
        `column ${j} moves`,
      ).to.equal(true);
    }
    expectClose(gc, expected, 1e-5, 'center gradient');
    expectClose([value.dataSync()[0]], [loss], 1e-5, 'loss');
    tf.dispose([value, ...Object.values(grads), z, c, y]);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('center loss value is the plain CE of all logits (the mask changes gradients, not values)', () => {
    const rng = new Rng(4);
    tf.tidy(() => {
      const s = tf.tensor2d(randn(rng, 4 * 3), [4, 3]);
      const y = tf.tensor1d([0, 2, 1, 1], 'int32');
      const masked = clusterCenterLoss(s as tfc.Tensor2D, s as tfc.Tensor2D, y, 0.5).dataSync()[0];
      const plain = tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), tf.div(s, 0.5)).dataSync()[0] * 2;
      expectClose([masked], [plain], 1e-6, 'value');
    });
  });

  it('representation loss: gradient reaches the features only, through the predictions not the targets', () => {
    const rng = new Rng(5);
    const [b, d, k, tx, tau] = [5, 4, 3, 0.3, 0.25];
    const before = tf.memory().numTensors;
    const z1 = tf.tidy(() => tf.variable(l2Normalize(tf.tensor2d(randn(rng, b * d), [b, d]), 1)));
    const z2 = tf.tidy(() => tf.variable(l2Normalize(tf.tensor2d(randn(rng, b * d), [b, d]), 1)));
    const p = tf.tidy(() => l2Normalize(tf.tensor2d(randn(rng, d * k), [d, k]), 0));
    const y = tf.tensor1d([0, 1, 2, 1, 0], 'int32');
    const { value, grads } = tf.variableGrads(() => representationLoss(z1, z2, p, y, tx, tau), [z1, z2]);
    // Host: dL/dA¹ = (softmax(A¹) − Q¹)/B with Q¹ fixed, and dL/dz¹ = dL/dA¹ · Pᵀ/λ_x.
    const [h1, h2, ph] = [z1.dataSync(), z2.dataSync(), p.dataSync()];
    const scoresOf = (h: ArrayLike<number>) =>
      Array.from({ length: b }, (_, i) =>
        Array.from({ length: k }, (_, j) => {
          let s = 0;
          for (let r = 0; r < d; r++) s += h[i * d + r] * ph[r * k + j];
          return s / tx;
        }),
      );
    const softmax = (a: number[]) => {
      const m = Math.max(...a);
      const e = a.map((v) => Math.exp(v - m));
      const s = e.reduce((x, v) => x + v, 0);
      return e.map((v) => v / s);
    };
    const a1 = scoresOf(h1);
    const a2 = scoresOf(h2);
    const labels = [0, 1, 2, 1, 0];
    let loss = 0;
    const grad = (aSelf: number[][], aOther: number[][]) => {
      const g = new Float64Array(b * d);
      for (let i = 0; i < b; i++) {
        const ps = softmax(aSelf[i]);
        const q = softmax(aOther[i]).map((v, j) => (1 - tau) * v + (j === labels[i] ? tau : 0));
        loss -= q.reduce((acc, qj, j) => acc + qj * Math.log(ps[j]), 0) / b;
        for (let r = 0; r < d; r++) {
          let s = 0;
          for (let j = 0; j < k; j++) s += ((ps[j] - q[j]) / b) * (ph[r * k + j] / tx);
          g[i * d + r] = s;
        }
      }
      return g;
    };
    expectClose(grads[z1.name].dataSync(), grad(a1, a2), 1e-5, 'dL/dz1');
    expectClose(grads[z2.name].dataSync(), grad(a2, a1), 1e-5, 'dL/dz2');
    expectClose([value.dataSync()[0]], [loss], 1e-5, 'loss');
    tf.dispose([value, ...Object.values(grads), z1, z2, p, y]);
    expect(tf.memory().numTensors).to.equal(before);
  });
});

/** Labels of hand-made scores [rows, k] (row-major) on the device. */
function assign(obj: Float32Array, rows: number, k: number, terms?: ConstraintTerms): number[] {
  return tf.tidy(() => Array.from(assignLabels(tf.tensor2d(obj, [rows, k]), terms).dataSync()));
}

describe('secu assignment steps', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  // obj = −similarity, 3 rows × 3 clusters; row-major.
  const obj = Float32Array.from([-0.9, -0.5, -0.1, -0.8, -0.7, -0.2, -0.3, -0.35, -0.6]);

  it('size: argmin(obj − ρ), all rows with the pre-batch duals; int32 labels, no tensor left', () => {
    const before = tf.memory().numTensors;
    expect(assign(obj, 3, 3, sizeTerms(new Float32Array(3)))).to.deep.equal([0, 0, 2]);
    expect(assign(obj, 3, 3, sizeTerms(Float32Array.from([0, 0.15, 0])))).to.deep.equal([0, 1, 2]);
    const labels = tf.tidy(() => assignLabels(tf.tensor2d(obj, [3, 3])));
    expect(labels.dtype).to.equal('int32');
    labels.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('ties go to the first index, as torch.argmin', () => {
    expect(assign(Float32Array.from([0.5, 0.2, 0.2, 0.2]), 1, 4)).to.deep.equal([1]);
    // A tie made by the terms (0.25 = 0.75 − 0.5, exact in float32).
    expect(assign(Float32Array.from([0.25, 0.75]), 1, 2, sizeTerms(Float32Array.from([0, 0.5])))).to.deep.equal([0]);
  });

  it('size: projected dual ascent ρ ← max(ρ − η·n/B + η·γ/K, 0)', () => {
    const duals = Float32Array.from([0.01, 0.2, 0]);
    updateDuals(duals, Int32Array.from([0, 0, 2, 0]), 0.1, 0.9);
    const expected = [0.01 - 0.075 + 0.03, 0.2 + 0.03, 0 - 0.025 + 0.03].map((v) => Math.max(v, 0));
    expectClose(duals, expected, 1e-6, 'duals');
    expect(duals[0]).to.equal(0); // clipped
    const unclipped = Float32Array.from([0, 0, 0]);
    updateDuals(unclipped, Int32Array.from([0, 0, 0, 0]), 0.1, 1);
    expectClose(unclipped, [-0.1 + 0.1 / 3, 0.1 / 3, 0.1 / 3], 1e-6, 'γ = 1 is not clipped');
  });

  it('entropy, epoch 0: plain argmin before any count, then a shared Δ row against big clusters', () => {
    expect(entropyTermsFirstEpoch(new Int32Array(3), 100)).to.equal(undefined);
    expect(assign(obj, 3, 3)).to.deep.equal([0, 0, 2]);
    // Cluster 0 holds 9 of 10: adding to it lowers Σ p log p least, so α pushes away from it.
    const counts = Int32Array.from([9, 1, 0]);
    const m = 10;
    const delta = [0, 1, 2].map((j) => plogp(counts[j] / (m + 1) + 1 / (m + 1)) - plogp(counts[j] / (m + 1)));
    const alpha = 1;
    const expected = [0, 1, 2].map((i) => {
      const s = [0, 1, 2].map((j) => obj[i * 3 + j] + alpha * delta[j]);
      return s.indexOf(Math.min(...s));
    });
    const terms = entropyTermsFirstEpoch(counts, alpha)!;
    expect(terms.rows).to.equal(1);
    expectClose(terms.values, delta, 1e-7, 'α·Δ');
    const got = assign(obj, 3, 3, terms);
    expect(got).to.deep.equal(expected);
    expect(got).to.not.deep.equal([0, 0, 2]);
  });

  it('entropy, epoch 0: probabilities over M + 1 (the instance being placed counts)', () => {
    // counts [3, 1]: Δ = [0.1280, −0.0446] over M + 1 = 5; over M = 4 it would be [0.2158, 0] and flip the row.
    const got = assign(Float32Array.from([0, 0.19]), 1, 2, entropyTermsFirstEpoch(Int32Array.from([3, 1]), 1));
    expect(got).to.deep.equal([0]);
  });

  it('entropy, epoch >= 1: staying costs nothing, moving costs a_l + b_k', () => {
    const counts = Int32Array.from([6, 3, 1]); // N = 10
    const stored = Int32Array.from([0, 2, 1]);
    // Large α: a row leaves its stored cluster only when that helps the entropy (from the big cluster 0).
    const terms = entropyTerms(counts, stored, 10)!;
    expect(terms.rows).to.equal(3);
    stored.forEach((l, i) => expect(terms.values[i * 3 + l], `own column of row ${i}`).to.equal(0));
    const got = assign(obj, 3, 3, terms);
    const n = 10;
    const p = Array.from(counts, (c) => c / n);
    const expected = [0, 1, 2].map((i) => {
      const l = stored[i];
      const s = [0, 1, 2].map((j) => obj[i * 3 + j] + (j === l ? 0 : 10 * (plogp(p[l] - 1 / n) - plogp(p[l]) + plogp(p[j] + 1 / n) - plogp(p[j]))));
      return s.indexOf(Math.min(...s));
    });
    expect(got).to.deep.equal(expected);
    expect(got[1]).to.equal(2); // row 1 stays in its small cluster although cluster 0 is more similar
    expect(got[0]).to.not.equal(0);
    const c = counts.slice();
    addCounts(c, Int32Array.from(got), stored);
    expect(c.reduce((a, v) => a + v, 0)).to.equal(10);
  });

  it('entropy, epoch >= 1: the stored cluster is scored by obj alone (not remove-and-add-back)', () => {
    // Two equal clusters; a move costs a_0 + b_1 ≈ +0.0202, more than the 0.01 it gains.
    const scores = Float32Array.from([0, -0.01]);
    expect(assign(scores, 1, 2, entropyTerms(Int32Array.from([5, 5]), Int32Array.from([0]), 1))).to.deep.equal([0]);
    // Without the entropy term the row would move.
    expect(assign(scores, 1, 2, entropyTerms(Int32Array.from([5, 5]), Int32Array.from([0]), 1e-6))).to.deep.equal([1]);
  });

  it('rejects terms that do not fit the scores, and stored labels outside [0, K)', () => {
    const scores = tf.tensor2d(obj, [3, 3]);
    expect(() => assignLabels(scores, { values: new Float32Array(2), rows: 1 })).to.throw(/constraint terms/);
    expect(() => assignLabels(scores, { values: new Float32Array(6), rows: 2 })).to.throw(/constraint terms/);
    expect(() => entropyTerms(Int32Array.from([5, 5]), Int32Array.from([2]), 1)).to.throw(/outside/);
    scores.dispose();
  });
});
