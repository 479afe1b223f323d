import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import native from '../index.js';
import { rand } from './support/rand.js';

// The matrix products on oneDNN's sgemm (src/dnnl_gemm.c) and on OpenBLAS, each
// forced, against a float64 product: every transpose, sizes that split C by rows
// and by columns over the threads, alpha and beta, unaligned views as the wasm
// heap gives. Then the automatic choice: oneDNN only where it runs AVX-512 and
// OpenBLAS's core has none, decided in a child per core (OpenBLAS reads its core at load).

/** A view of n floats one float past the start of its buffer (4-byte, not 64-byte, aligned). */
function unaligned(values: Float32Array): Float32Array {
  const v = new Float32Array(new ArrayBuffer(4 * (values.length + 1)), 4, values.length);
  v.set(values);
  return v;
}

/** Row-major alpha op(A)[M,K] @ op(B)[K,N] + beta C in float64. */
function reference(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, b: Float32Array, beta: number, c: Float32Array) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = alpha * s + beta * c[i * n + j];
    }
  return out;
}

/** [m, n, k]: more rows than columns (split by rows), more columns than rows (split by columns), one part only. */
const SIZES: [number, number, number][] = [
  [301, 67, 129],
  [45, 517, 97],
  [7, 5, 3],
];

/** The package folder, where a child process imports the addon. */
const cwd = fileURLToPath(new URL('..', import.meta.url));
const dnnl = native.available ? native.getConvInfo!().dnnl : null;
const wide = dnnl !== null && /\(avx512_core/.test(dnnl);

describe('@clusterflow/native matrix products on oneDNN and OpenBLAS', function () {
  this.timeout(60_000);
  before(function () {
    if (!native.available) {
      console.log(`    skipped: ${native.reason}`);
      this.skip();
    }
  });
  after(() => native.available && native.setGemmDnnl!(-1));

  for (const mode of [0, 1] as const)
    it(`${mode ? "oneDNN's" : "OpenBLAS's"} sgemm matches a float64 product for every transpose and split`, function () {
      if (mode === 1 && !dnnl) {
        console.log('      skipped: the addon was built without oneDNN');
        this.skip();
      }
      native.setGemmDnnl!(mode);
      expect(native.getGemmDnnl!()).to.equal(mode === 1);
      for (const [m, n, k] of SIZES)
        for (const ta of [false, true])
          for (const tb of [false, true]) {
            const a = unaligned(rand(m * k, m + k)),
              b = unaligned(rand(k * n, n + k)),
              c = unaligned(rand(m * n, m + n));
            const ref = reference(ta, tb, m, n, k, 2, a, b, 0.5, c);
            native.sgemm!(ta, tb, m, n, k, 2, a, ta ? m : k, b, tb ? k : n, 0.5, c, n);
            let worst = 0;
            for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i] - ref[i]));
            expect(worst, `${m}x${n}x${k} transA=${ta} transB=${tb}`).to.be.below(1e-4);
          }
    });

  // oneDNN 2.6's JIT sgemm points rsp into its heap workspace while it runs, so the
  // kernel writes any signal's frame there (oneDNN issue 4845, fixed upstream by pull request 4855, March 2026): the
  // heap is corrupt and a later free aborts. V8's profiler is one such signal source
  // (SIGPROF, every 50 us here); Ctrl-C, SIGTERM, SIGCHLD and SIGWINCH are others.
  it("survives signals arriving while oneDNN's sgemm runs (the addon blocks them around oneDNN's calls)", function () {
    if (!dnnl) this.skip();
    this.timeout(120_000);
    const script = [
      "const n = (await import('./index.js')).default;",
      'n.setGemmDnnl(1);',
      'const [m, k, w] = [256, 784, 500];',
      'for (let i = 0; i < 40; i++) for (const ta of [false, true]) for (const tb of [false, true]) {',
      '  const a = new Float32Array(m * k).fill(1), b = new Float32Array(k * w).fill(1), c = new Float32Array(m * w);',
      '  n.sgemm(ta, tb, m, w, k, 1, a, ta ? m : k, b, tb ? k : w, 0, c, w);',
      "  if (c.some((v) => v !== k)) throw new Error('wrong product');",
      '}',
      "console.log('ok');",
    ].join('\n');
    const profiles = mkdtempSync(join(tmpdir(), 'cf-sigprof-'));
    try {
      const out = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', profiles, '--input-type=module', '-e', script], {
        cwd,
        encoding: 'utf8',
      });
      expect(out.signal, out.stderr).to.equal(null);
      expect(out.status, out.stderr).to.equal(0);
      expect(out.stdout.trim()).to.equal('ok');
    } finally {
      rmSync(profiles, { recursive: true, force: true });
    }
  });

  it('setGemmDnnl takes -1, 0 or 1 only', () => {
    for (const bad of [2, -2, 0.5, 'x']) expect(() => native.setGemmDnnl!(bad as never), String(bad)).to.throw(RangeError);
    native.setGemmDnnl!(-1);
  });

  // The automatic choice, in a child per OpenBLAS core (set before the addon loads).
  function choiceUnder(env: Record<string, string>): { on: boolean; products: string; core: string } {
    const script =
      "const n = (await import('./index.js')).default; console.log(JSON.stringify({ on: n.getGemmDnnl(), products: n.products, core: n.openblas.core }));";
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(out.status, out.stderr).to.equal(0);
    return JSON.parse(out.stdout.trim().split('\n').pop()!);
  }

  it("takes oneDNN by default only where it runs AVX-512 and OpenBLAS's core has none, and says so", function () {
    if (!dnnl) this.skip();
    const haswell = choiceUnder({ OPENBLAS_CORETYPE: 'Haswell' });
    expect(haswell.core).to.equal('Haswell');
    expect(haswell.on).to.equal(wide);
    if (wide) expect(haswell.products).to.equal(`${dnnl} sgemm (OpenBLAS's core Haswell has no AVX-512 kernels)`);
    else expect(haswell.products).to.equal('OpenBLAS');
    const off = choiceUnder({ OPENBLAS_CORETYPE: 'Haswell', CLUSTERFLOW_NO_DNNL: '1' });
    expect(off.on).to.equal(false);
    expect(off.products).to.equal(`OpenBLAS (${dnnl} off: CLUSTERFLOW_NO_DNNL=1)`);
    if (wide) {
      // An AVX-512 core only where this CPU has AVX-512 (oneDNN says it does): OpenBLAS keeps the products.
      const skylake = choiceUnder({ OPENBLAS_CORETYPE: 'SkylakeX' });
      expect(skylake.core).to.equal('SkylakeX');
      expect(skylake.on).to.equal(false);
      expect(skylake.products).to.equal('OpenBLAS');
    }
  });
});
