import { expect } from 'chai';
import native from '../index.js';
import { rand } from './support/rand.js';

// The addon alone, on plain Float32Arrays: values against naive loops,
// in-place writes through a view with a byte offset, and the bounds checks that
// keep it from writing past a tensor in the wasm heap. (Its kernels against
// TF.js's cpu backend: packages/core/test/kernels-native.spec.ts.)

/** Row-major op(A)[M,K] @ op(B)[K,N] in float64. */
function naive(ta: boolean, tb: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
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

  for (const ta of [false, true])
    for (const tb of [false, true]) {
      it(`sgemm transA=${ta} transB=${tb} matches a naive product`, () => {
        const [m, n, k] = [37, 19, 53];
        const a = rand(m * k, 1),
          b = rand(k * n, 2);
        const c = new Float32Array(m * n);
        native.sgemm!(ta, tb, m, n, k, 1, a, ta ? m : k, b, tb ? k : n, 0, c, n);
        const ref = naive(ta, tb, m, n, k, a, b);
        for (let i = 0; i < c.length; i++) expect(c[i]).to.be.closeTo(ref[i], 1e-5);
      });
    }

  it('writes in place through views with a byte offset, and honours alpha/beta', () => {
    const [m, n, k] = [8, 5, 6];
    const heap = new ArrayBuffer(4 * (3 + m * k + 1 + k * n + 2 + m * n + 4));
    const a = new Float32Array(heap, 4 * 3, m * k);
    a.set(rand(m * k, 3));
    const b = new Float32Array(heap, 4 * (3 + m * k + 1), k * n);
    b.set(rand(k * n, 4));
    const cOff = 3 + m * k + 1 + k * n + 2;
    const c = new Float32Array(heap, 4 * cOff, m * n);
    c.fill(1);
    const all = new Float32Array(heap);
    all.fill(7, cOff + m * n); // a guard after C
    native.sgemm!(false, false, m, n, k, 2, a, k, b, n, 0.5, c, n);
    const ref = naive(false, false, m, n, k, a, b);
    for (let i = 0; i < c.length; i++) expect(c[i]).to.be.closeTo(2 * ref[i] + 0.5, 1e-5);
    for (let i = cOff + m * n; i < all.length; i++) expect(all[i]).to.equal(7);
  });

  it('refuses sizes that would run past an array, and non-float32 arrays', () => {
    const a = new Float32Array(12),
      b = new Float32Array(12),
      c = new Float32Array(16);
    expect(() => native.sgemm!(false, false, 4, 4, 4, 1, a, 4, b, 4, 0, c, 4)).to.throw(RangeError);
    expect(() => native.sgemm!(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3)).to.throw(RangeError); // lda < K
    expect(() => native.sgemm!(false, false, 3, 3, 4, 1, a, 4, new Float32Array(11), 3, 0, c, 3)).to.throw(RangeError); // B short (4x3 needs 12)
    expect(() => native.sgemm!(false, false, 2.5, 3, 4, 1, a, 4, b, 3, 0, c, 3)).to.throw(RangeError);
    expect(() => native.sgemm!(false, false, 3, 3, 4, 1, new Float64Array(12) as unknown as Float32Array, 4, b, 3, 0, c, 3)).to.throw(TypeError);
  });

  it('batchNormForward and batchNormBackward match plain loops in float64', () => {
    const [rows, c, eps] = [50, 7, 1e-5];
    const x = rand(rows * c, 5).map((v, i) => v + (i % c)),
      dy = rand(rows * c, 6);
    const gamma = rand(c, 7).map((v) => v + 1),
      beta = rand(c, 8),
      dmean = rand(c, 9),
      dvar = rand(c, 10);
    const y = new Float32Array(rows * c),
      mean = new Float32Array(c),
      variance = new Float32Array(c);
    native.batchNormForward!(x, rows, c, gamma, beta, eps, y, mean, variance);
    const dx = new Float32Array(rows * c),
      dgamma = new Float32Array(c),
      dbeta = new Float32Array(c);
    native.batchNormBackward!(dy, x, rows, c, gamma, mean, variance, dmean, dvar, eps, dx, dgamma, dbeta);
    for (let k = 0; k < c; k++) {
      const col = Array.from({ length: rows }, (_, r) => x[r * c + k]),
        g = Array.from({ length: rows }, (_, r) => dy[r * c + k]);
      const m = col.reduce((a, b) => a + b) / rows,
        v = col.reduce((a, b) => a + (b - m) ** 2, 0) / rows,
        inv = 1 / Math.sqrt(v + eps);
      expect(mean[k]).to.be.closeTo(m, 1e-5);
      expect(variance[k]).to.be.closeTo(v, 1e-5);
      const xhat = col.map((b) => (b - m) * inv);
      const sdy = g.reduce((a, b) => a + b),
        sdyx = g.reduce((a, b, r) => a + b * xhat[r], 0);
      expect(dbeta[k]).to.be.closeTo(sdy, 1e-4);
      expect(dgamma[k]).to.be.closeTo(sdyx, 1e-4);
      for (let r = 0; r < rows; r++) {
        expect(y[r * c + k]).to.be.closeTo(xhat[r] * gamma[k] + beta[k], 1e-5);
        const viaY = ((gamma[k] * inv) / rows) * (rows * g[r] - sdy - xhat[r] * sdyx);
        const viaStats = dmean[k] / rows + (dvar[k] * 2 * (col[r] - m)) / rows;
        expect(dx[r * c + k]).to.be.closeTo(viaY + viaStats, 1e-5);
      }
    }
  });

  it('sumMiddle sums over the middle of [outer, r, inner], scaled', () => {
    const [outer, r, inner] = [3, 40, 5];
    const x = rand(outer * r * inner, 11),
      out = new Float32Array(outer * inner);
    native.sumMiddle!(x, outer, r, inner, 0.5, out);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += x[(o * r + k) * inner + i];
        expect(out[o * inner + i]).to.be.closeTo(s / 2, 1e-5);
      }
  });

  it('the other kernels refuse arrays too short for their sizes, and bad sizes', () => {
    const f = (n: number) => new Float32Array(n);
    expect(() => native.batchNormForward!(f(11), 4, 3, f(3), f(3), 1e-5, f(12), f(3), f(3))).to.throw(RangeError);
    expect(() => native.batchNormForward!(f(12), 4, 3, f(3), f(2), 1e-5, f(12), f(3), f(3))).to.throw(RangeError);
    expect(() => native.batchNormForward!(f(12), 4, 3, f(3), f(3), 1e-5, f(11), f(3), f(3))).to.throw(RangeError);
    expect(() => native.batchNormForward!(f(0), 0, 3, f(3), f(3), 1e-5, f(0), f(3), f(3))).to.throw(RangeError); // no rows
    expect(() => native.batchNormBackward!(f(12), f(12), 4, 3, f(3), f(3), f(3), f(3), f(2), 1e-5, f(12), f(3), f(3))).to.throw(RangeError);
    expect(() => native.batchNormBackward!(f(12), f(12), 4, 3, f(3), f(3), f(3), f(3), f(3), 1e-5, f(12), f(3), f(2))).to.throw(RangeError);
    expect(() => native.sumMiddle!(f(23), 2, 3, 4, 1, f(8))).to.throw(RangeError);
    expect(() => native.sumMiddle!(f(24), 2, 3, 4, 1, f(7))).to.throw(RangeError);
    expect(() => native.sumMiddle!(f(24), 2, 3.5, 4, 1, f(8))).to.throw(RangeError);
    // maxPoolGrad(x, dy, N,H,W,C, KH,KW, SH,SW, PT,PL, OH,OW, dx): 1 image of 4x4x2, 2x2 windows.
    expect(() => native.maxPoolGrad!(f(32), f(8), 1, 4, 4, 2, 2, 2, 2, 2, 0, 0, 2, 2, f(31))).to.throw(RangeError);
    expect(() => native.maxPoolGrad!(f(32), f(7), 1, 4, 4, 2, 2, 2, 2, 2, 0, 0, 2, 2, f(32))).to.throw(RangeError);
    // conv2d(x, w, y, N,H,W,C, KH,KW, SH,SW, PT,PL, OH,OW, CO): 1 image of 4x4x2, 3x3 filter to 5 channels.
    expect(() => native.conv2d!(f(31), f(90), f(80), 1, 4, 4, 2, 3, 3, 1, 1, 1, 1, 4, 4, 5)).to.throw(RangeError);
    expect(() => native.conv2d!(f(32), f(89), f(80), 1, 4, 4, 2, 3, 3, 1, 1, 1, 1, 4, 4, 5)).to.throw(RangeError);
    expect(() => native.conv2dFilterGrad!(f(32), f(80), f(89), 1, 4, 4, 2, 3, 3, 1, 1, 1, 1, 4, 4, 5)).to.throw(RangeError);
    expect(() => native.conv2dInputGrad!(f(80), f(90), f(31), 1, 4, 4, 2, 3, 3, 1, 1, 1, 1, 4, 4, 5)).to.throw(RangeError);
    expect(() => native.batchNormForward!(new Float64Array(12) as unknown as Float32Array, 4, 3, f(3), f(3), 1e-5, f(12), f(3), f(3))).to.throw(TypeError);
  });

  it('sgdStep and adamStep match plain loops over a size no thread split divides evenly, and refuse short arrays', () => {
    const n = 100_003,
      f = (k: number) => new Float32Array(k);
    const p = rand(n, 20),
      g = rand(n, 21),
      buf = rand(n, 22),
      m = rand(n, 23),
      v = rand(n, 24).map(Math.abs);
    const pOut = f(n),
      bufOut = f(n);
    native.sgdStep!(p, g, buf, pOut, bufOut, 0.1, 0.9, 0.01, true);
    for (const i of [0, 1, 50_001, n - 1]) {
      const g1 = Math.fround(g[i] + Math.fround(p[i] * Math.fround(0.01)));
      const b1 = Math.fround(Math.fround(buf[i] * Math.fround(0.9)) + g1);
      expect(bufOut[i]).to.be.closeTo(b1, 1e-6);
      expect(pOut[i]).to.be.closeTo(p[i] - 0.1 * (g1 + 0.9 * b1), 1e-6);
    }
    const mOut = f(n),
      vOut = f(n);
    native.adamStep!(p, g, m, v, pOut, mOut, vOut, 0.01, 0.9, 0.1, 0.999, 0.001, 0.5, 1e-8, 0, 1, false, true);
    for (const i of [0, 77_777, n - 1]) {
      const m1 = 0.9 * m[i] + 0.1 * g[i],
        v1 = 0.999 * v[i] + 0.001 * g[i] * g[i];
      expect(mOut[i]).to.be.closeTo(m1, 1e-6);
      expect(vOut[i]).to.be.closeTo(v1, 1e-6);
      expect(pOut[i]).to.be.closeTo(p[i] - (m1 / (Math.sqrt(v1) / 0.5 + 1e-8)) * 0.01, 1e-4 * Math.max(1, Math.abs(p[i])));
    }
    expect(() => native.sgdStep!(p, f(n - 1), null, pOut, null, 0.1, 0, 0, false)).to.throw(RangeError);
    expect(() => native.sgdStep!(p, g, buf, pOut, null, 0.1, 0.9, 0, false)).to.throw(TypeError);
    expect(() => native.sgdStep!(p, g, f(n - 1), pOut, bufOut, 0.1, 0.9, 0, false)).to.throw(TypeError);
    expect(() => native.adamStep!(p, g, m, v, pOut, mOut, f(n - 1), 0.01, 0.9, 0.1, 0.999, 0.001, 0.5, 1e-8, 0, 1, false, true)).to.throw(RangeError);
  });

  it('uses the requested thread count', () => {
    expect(native.getNumThreads!()).to.be.at.least(1);
  });

  // oneDNN's convolutions (dnnl_conv.c) on views at a 4-byte offset (wasm heap tensors are not 64-byte aligned), against
  // a float64 loop for the forward and the adjoint identities <y, dy> = <x, dx> = <w, dw> for the gradients; and
  // elementwise against the OpenBLAS path. Batch 3 on 2 threads splits into parts of 1 and 2 images.
  it('conv2d and its gradients on oneDNN match a float64 loop and the OpenBLAS path, on unaligned views', function () {
    const info = native.getConvInfo!();
    if (!info.dnnl) {
      console.log('      skipped: the addon was built without oneDNN');
      this.skip();
    }
    // N,H,W,C, KH,KW, SH,SW, PT,PL, OH,OW, CO: stride 2 'same' on odd sizes (pads bottom and right only), and 'valid' stride (2, 1).
    const geoms = [
      [3, 9, 7, 5, 3, 3, 2, 2, 1, 1, 5, 4, 6],
      [2, 8, 6, 3, 3, 2, 2, 1, 0, 0, 3, 5, 4],
      [1, 6, 6, 4, 1, 1, 1, 1, 0, 0, 6, 6, 8],
    ];
    const view = (n: number, seed: number) => {
      const v = new Float32Array(new ArrayBuffer(4 * (n + 1)), 4, n);
      v.set(rand(n, seed));
      return v;
    };
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
    try {
      for (const d of geoms) {
        const [N, H, W, C, KH, KW, SH, SW, PT, PL, OH, OW, CO] = d;
        const x = view(N * H * W * C, 30),
          w = view(KH * KW * C * CO, 31),
          dy = view(N * OH * OW * CO, 32);
        const run = (mask: number) => {
          native.setConvDnnl!(mask);
          const y = view(N * OH * OW * CO, 0),
            dx = view(N * H * W * C, 0),
            dw = view(KH * KW * C * CO, 0);
          native.conv2d!(x, w, y, ...(d as [number, number, number, number, number, number, number, number, number, number, number, number, number]));
          native.conv2dFilterGrad!(
            x,
            dy,
            dw,
            ...(d as [number, number, number, number, number, number, number, number, number, number, number, number, number]),
          );
          native.conv2dInputGrad!(
            dy,
            w,
            dx,
            ...(d as [number, number, number, number, number, number, number, number, number, number, number, number, number]),
          );
          return { y, dx, dw };
        };
        const before = native.getConvInfo!().calls;
        const dnnl = run(7);
        expect(native.getConvInfo!().calls - before, `${d}: convs on oneDNN`).to.equal(3);
        const blas = run(0);
        expect(native.getConvInfo!().calls - before, `${d}: none on oneDNN when off`).to.equal(3);
        for (let n = 0; n < N; n++)
          for (let oh = 0; oh < OH; oh++)
            for (let ow = 0; ow < OW; ow++)
              for (let co = 0; co < CO; co++) {
                let s = 0;
                for (let kh = 0; kh < KH; kh++)
                  for (let kw = 0; kw < KW; kw++) {
                    const ih = oh * SH - PT + kh,
                      iw = ow * SW - PL + kw;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    for (let c = 0; c < C; c++) s += x[((n * H + ih) * W + iw) * C + c] * w[((kh * KW + kw) * C + c) * CO + co];
                  }
                expect(dnnl.y[((n * OH + oh) * OW + ow) * CO + co]).to.be.closeTo(s, 1e-5);
              }
        const ydy = dot(dnnl.y, dy);
        expect(dot(x, dnnl.dx), `${d}: <x, dx>`).to.be.closeTo(ydy, 1e-4 * Math.max(1, Math.abs(ydy)));
        expect(dot(w, dnnl.dw), `${d}: <w, dw>`).to.be.closeTo(ydy, 1e-4 * Math.max(1, Math.abs(ydy)));
        for (const k of ['y', 'dx', 'dw'] as const) dnnl[k].forEach((v, i) => expect(v, `${d}: ${k}[${i}]`).to.be.closeTo(blas[k][i], 1e-5));
      }
    } finally {
      native.setConvDnnl!(info.ops);
    }
  });

  it('setConvDnnl takes a mask of the three convolutions only', () => {
    expect(() => native.setConvDnnl!(8)).to.throw(RangeError);
    expect(() => native.setConvDnnl!(-1)).to.throw(RangeError);
    expect(native.convolutions).to.match(/^(oneDNN \d+\.\d+\.\d+ \(\w+\) for |OpenBLAS patch matrices \()/);
  });
});
