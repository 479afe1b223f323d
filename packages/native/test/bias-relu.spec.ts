import { expect } from 'chai';
import native from '../index.js';
import { rand } from './support/rand.js';

// The addon's fused bias + ReLU on plain Float32Arrays: values against plain
// loops (over more rows than one thread's share, so the parts' sums are
// combined), an unaligned view, and the bounds checks. (Against TF.js's cpu
// backend: packages/core/test/kernels-native-bias-relu.spec.ts.)

describe('@clusterflow/native biasRelu', function () {
  before(function () {
    if (!native.available) {
      console.log(`    skipped: ${native.reason}`);
      this.skip();
    }
  });

  for (const [rows, c] of [
    [7, 5],
    [4099, 33],
    [70000, 1],
  ]) {
    it(`forward and backward match plain loops: ${rows} x ${c}`, () => {
      const x = rand(rows * c, 1),
        b = rand(c, 2),
        dy = rand(rows * c, 3);
      // y and dx into views one float past a buffer's start.
      const y = new Float32Array(new ArrayBuffer(4 * (rows * c + 1)), 4);
      native.biasReluForward!(x, rows, c, b, y);
      const dx = new Float32Array(rows * c),
        db = new Float32Array(c),
        dxOnly = new Float32Array(rows * c);
      native.biasReluBackward!(dy, y, rows, c, dx, db);
      native.biasReluBackward!(dy, y, rows, c, dxOnly, null);
      const sums = new Float64Array(c);
      for (let r = 0; r < rows; r++)
        for (let i = 0; i < c; i++) {
          const k = r * c + i;
          const v = Math.fround(x[k] + b[i]);
          expect(y[k]).to.equal(v > 0 ? v : 0);
          expect(dx[k]).to.equal(v > 0 ? dy[k] : 0);
          sums[i] += dx[k];
        }
      expect(Array.from(dxOnly)).to.deep.equal(Array.from(dx));
      for (let i = 0; i < c; i++) expect(db[i]).to.be.closeTo(sums[i], 1e-6 * Math.max(1, Math.abs(sums[i])));
    });
  }

  it('refuses arrays too short for their sizes, bad sizes and a db of the wrong kind', () => {
    const f = (n: number) => new Float32Array(n);
    expect(() => native.biasReluForward!(f(11), 3, 4, f(4), f(12))).to.throw(RangeError);
    expect(() => native.biasReluForward!(f(12), 3, 4, f(3), f(12))).to.throw(RangeError);
    expect(() => native.biasReluForward!(f(12), 3, 4, f(4), f(11))).to.throw(RangeError);
    expect(() => native.biasReluForward!(f(12), 3.5, 4, f(4), f(12))).to.throw(RangeError);
    expect(() => native.biasReluBackward!(f(12), f(11), 3, 4, f(12), f(4))).to.throw(RangeError);
    expect(() => native.biasReluBackward!(f(12), f(12), 3, 4, f(12), f(3))).to.throw(TypeError);
    expect(() => native.biasReluBackward!(f(12), f(12), 3, 4, f(12), new Float64Array(4) as unknown as Float32Array)).to.throw(TypeError);
  });
});
