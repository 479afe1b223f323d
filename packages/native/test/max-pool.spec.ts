import { expect } from 'chai';
import native from '../index.js';
import { rand } from './support/rand.js';

// The addon's index-keeping max-pool (maxPoolArgmax) and its scatter gradient
// (maxPoolScatter) on plain typed arrays: values and offsets against plain
// loops (batches under and over one thread's share), ties, NaN, and the bounds
// checks. (Against TF.js's cpu backend: packages/core/test/kernels-native-max-pool.spec.ts.)

/** Plain-loop 'valid' max-pool: y and the flat offset of each window's first maximum (strict >). */
function reference(x: Float32Array, [n, h, w, c]: number[], k: number, s: number): { y: Float32Array; index: Int32Array; oh: number; ow: number } {
  const oh = Math.floor((h - k) / s) + 1,
    ow = Math.floor((w - k) / s) + 1;
  const y = new Float32Array(n * oh * ow * c),
    index = new Int32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let d = 0; d < c; d++) {
          let best = -Infinity,
            at = -1;
          for (let r = i * s; r < i * s + k; r++)
            for (let q = j * s; q < j * s + k; q++) {
              const o = ((b * h + r) * w + q) * c + d;
              if (x[o] > best) ((best = x[o]), (at = o));
            }
          const out = ((b * oh + i) * ow + j) * c + d;
          y[out] = best;
          index[out] = at;
        }
  return { y, index, oh, ow };
}

describe('@clusterflow/native maxPoolArgmax and maxPoolScatter', function () {
  before(function () {
    if (!native.available) {
      console.log(`    skipped: ${native.reason}`);
      this.skip();
    }
  });

  for (const [shape, k, s] of [
    [[1, 5, 7, 3], 2, 2],
    [[3, 28, 28, 32], 2, 2],
    [[130, 14, 14, 64], 2, 2],
    [[2, 9, 11, 17], 3, 3],
    [[5, 8, 8, 20], 2, 3],
  ] as [number[], number, number][]) {
    it(`match plain loops: x ${shape}, window ${k}, stride ${s}`, () => {
      const [n, h, w, c] = shape;
      const x = rand(n * h * w * c, 1);
      const ref = reference(x, shape, k, s);
      const y = new Float32Array(ref.y.length),
        index = new Int32Array(ref.y.length);
      native.maxPoolArgmax!(x, n, h, w, c, k, k, s, s, ref.oh, ref.ow, y, index);
      expect(Array.from(y)).to.deep.equal(Array.from(ref.y));
      expect(Array.from(index)).to.deep.equal(Array.from(ref.index));
      const dy = rand(y.length, 2);
      // dx into a view one float past a buffer's start, filled with garbage first: it is overwritten.
      const dx = new Float32Array(new ArrayBuffer(4 * (x.length + 1)), 4).fill(7);
      native.maxPoolScatter!(dy, index, n, h, w, c, ref.oh, ref.ow, dx);
      const want = new Float32Array(x.length);
      ref.index.forEach((at, i) => (want[at] += dy[i]));
      expect(Array.from(dx)).to.deep.equal(Array.from(want));
    });
  }

  it('takes the first of equal maxima, skips NaN, and gives an all-NaN window -Infinity and -1', () => {
    // One image, 2x4, one channel: windows [1 1 / 1 1], [NaN 2 / 2 NaN] side by side, then a row of NaN windows below.
    const x = new Float32Array([1, 1, NaN, 2, 1, 1, 2, NaN, NaN, NaN, 0, 0, NaN, NaN, 0, 0]);
    const y = new Float32Array(4),
      index = new Int32Array(4);
    native.maxPoolArgmax!(x, 1, 4, 4, 1, 2, 2, 2, 2, 2, 2, y, index);
    expect(Array.from(y)).to.deep.equal([1, 2, -Infinity, 0]);
    expect(Array.from(index)).to.deep.equal([0, 3, -1, 10]);
    const dx = new Float32Array(16);
    native.maxPoolScatter!(new Float32Array([1, 2, 3, 4]), index, 1, 4, 4, 1, 2, 2, dx);
    expect(Array.from(dx)).to.deep.equal([1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0]);
  });

  it('refuses arrays too short, windows outside x and bad sizes; ignores offsets outside dx', () => {
    const f = (n: number) => new Float32Array(n),
      i = (n: number) => new Int32Array(n);
    // x [2, 4, 4, 3] pooled 2x2 stride 2: y [2, 2, 2, 3].
    expect(() => native.maxPoolArgmax!(f(95), 2, 4, 4, 3, 2, 2, 2, 2, 2, 2, f(24), i(24))).to.throw(RangeError);
    expect(() => native.maxPoolArgmax!(f(96), 2, 4, 4, 3, 2, 2, 2, 2, 2, 2, f(23), i(24))).to.throw(RangeError);
    expect(() => native.maxPoolArgmax!(f(96), 2, 4, 4, 3, 2, 2, 2, 2, 2, 2, f(24), i(23))).to.throw(RangeError);
    expect(() => native.maxPoolArgmax!(f(96), 2, 4, 4, 3, 2, 2, 2, 2, 3, 2, f(36), i(36))).to.throw(RangeError, /outside/);
    expect(() => native.maxPoolArgmax!(f(96), 2, 4, 4, 3, 0, 2, 2, 2, 2, 2, f(24), i(24))).to.throw(RangeError);
    expect(() => native.maxPoolArgmax!(f(96), 2, 4, 4, 3, 2, 2, 2, 2.5, 2, 2, f(24), i(24))).to.throw(RangeError);
    expect(() => native.maxPoolArgmax!(f(96), 2, 4, 4, 3, 2, 2, 2, 2, 2, 2, f(24), f(24) as unknown as Int32Array)).to.throw(TypeError);
    expect(() => native.maxPoolScatter!(f(23), i(24), 2, 4, 4, 3, 2, 2, f(96))).to.throw(RangeError);
    expect(() => native.maxPoolScatter!(f(24), i(23), 2, 4, 4, 3, 2, 2, f(96))).to.throw(RangeError);
    expect(() => native.maxPoolScatter!(f(24), i(24), 2, 4, 4, 3, 2, 2, f(95))).to.throw(RangeError);
    expect(() => native.maxPoolScatter!(f(24), f(24) as unknown as Int32Array, 2, 4, 4, 3, 2, 2, f(96))).to.throw(TypeError);
    const index = i(24).fill(96);
    index[0] = -5;
    index[1] = 2 ** 31 - 1;
    index[2] = 95;
    const dx = f(97).fill(3);
    native.maxPoolScatter!(f(24).fill(1), index, 2, 4, 4, 3, 2, 2, dx);
    expect(dx[95]).to.equal(1);
    expect(dx[96], 'the element past dx').to.equal(3);
    expect(dx.slice(0, 95).every((v) => v === 0)).to.equal(true);
  });
});
