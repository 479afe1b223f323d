import { expect } from 'chai';
import native from '../index.js';

// The addon alone, on plain Float32Arrays: values against a naive product,
// in-place writes through a view with a byte offset, and the bounds checks that
// keep it from writing past a tensor in the wasm heap.

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
}

/** Row-major op(A)[M,K] @ op(B)[K,N] in float64. */
function naive(ta: boolean, tb: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
    c[i * n + j] = s;
  }
  return c;
}

describe('@clusterflow/native addon', function () {
  before(function () {
    if (!native.available) {
      console.log(`    skipped: ${native.reason}`);
      this.skip();
    }
  });

  for (const ta of [false, true]) for (const tb of [false, true]) {
    it(`sgemm transA=${ta} transB=${tb} matches a naive product`, () => {
      const [m, n, k] = [37, 19, 53];
      const a = rand(m * k, 1), b = rand(k * n, 2);
      const c = new Float32Array(m * n);
      native.sgemm!(ta, tb, m, n, k, 1, a, ta ? m : k, b, tb ? k : n, 0, c, n);
      const ref = naive(ta, tb, m, n, k, a, b);
      for (let i = 0; i < c.length; i++) expect(c[i]).to.be.closeTo(ref[i], 1e-5);
    });
  }

  it('writes in place through views with a byte offset, and honours alpha/beta', () => {
    const [m, n, k] = [8, 5, 6];
    const heap = new ArrayBuffer(4 * (3 + m * k + 1 + k * n + 2 + m * n + 4));
    const a = new Float32Array(heap, 4 * 3, m * k); a.set(rand(m * k, 3));
    const b = new Float32Array(heap, 4 * (3 + m * k + 1), k * n); b.set(rand(k * n, 4));
    const cOff = 3 + m * k + 1 + k * n + 2;
    const c = new Float32Array(heap, 4 * cOff, m * n); c.fill(1);
    const all = new Float32Array(heap);
    all.fill(7, cOff + m * n); // a guard after C
    native.sgemm!(false, false, m, n, k, 2, a, k, b, n, 0.5, c, n);
    const ref = naive(false, false, m, n, k, a, b);
    for (let i = 0; i < c.length; i++) expect(c[i]).to.be.closeTo(2 * ref[i] + 0.5, 1e-5);
    for (let i = cOff + m * n; i < all.length; i++) expect(all[i]).to.equal(7);
  });

  it('refuses sizes that would run past an array, and non-float32 arrays', () => {
    const a = new Float32Array(12), b = new Float32Array(12), c = new Float32Array(16);
    expect(() => native.sgemm!(false, false, 4, 4, 4, 1, a, 4, b, 4, 0, c, 4)).to.throw(RangeError);
    expect(() => native.sgemm!(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3)).to.throw(RangeError); // lda < K
    expect(() => native.sgemm!(false, false, 3, 3, 4, 1, a, 4, new Float32Array(11), 3, 0, c, 3)).to.throw(RangeError); // B short (4x3 needs 12)
    expect(() => native.sgemm!(false, false, 2.5, 3, 4, 1, a, 4, b, 3, 0, c, 3)).to.throw(RangeError);
    expect(() => native.sgemm!(false, false, 3, 3, 4, 1, new Float64Array(12) as unknown as Float32Array, 4, b, 3, 0, c, 3)).to.throw(TypeError);
  });

  it('uses the requested thread count', () => {
    expect(native.getNumThreads!()).to.be.at.least(1);
  });
});
