import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The native kernels under each OpenBLAS core this CPU can run: the generic
// Prescott (what OpenBLAS falls back to on a CPU it does not know), Haswell and
// Zen (AVX2), SkylakeX (AVX-512), and OpenBLAS's own pick (Cooperlake on a
// Zen 5), each in a process of its own with OPENBLAS_CORETYPE set, since
// OpenBLAS reads it once, at load. Every kernel must give cpu's values and
// gradients whichever core runs it. Skipped where the addon is not built.

const native = fileURLToPath(new URL('../../native/', import.meta.url));
const probe = `${native}build/openblas-probe`;
const child = fileURLToPath(new URL('./support/native-cores-child.ts', import.meta.url));

/** The CPU's flags, from the addon's probe. */
function flags(): string[] {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  const r = spawnSync(probe, [], { env, encoding: 'utf8' });
  return r.status === 0 ? ((JSON.parse(r.stdout) as { flags?: string[] }).flags ?? []) : [];
}

const NEEDS: Record<string, string[]> = {
  Prescott: [],
  Haswell: ['avx2', 'fma'],
  Zen: ['avx2', 'fma'],
  SkylakeX: ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'],
};

describe('native kernels under every OpenBLAS core this CPU runs', function () {
  this.timeout(120_000);
  let cpuFlags: string[] = [];

  before(function () {
    if (process.env.CLUSTERFLOW_NATIVE === '0' || !existsSync(`${native}build/clusterflow_native.node`) || !existsSync(probe)) {
      console.log('    skipped: the addon or its probe is not built (node packages/native/build.js), or CLUSTERFLOW_NATIVE=0');
      this.skip();
    }
    cpuFlags = flags();
  });

  for (const core of [...Object.keys(NEEDS), "OpenBLAS's own"]) {
    it(`${core}: values and gradients equal cpu's`, function () {
      const needs = NEEDS[core] ?? [];
      const missing = needs.filter((f) => !cpuFlags.includes(f));
      if (missing.length) {
        console.log(`      skipped: this CPU lacks ${missing.join(', ')}`);
        this.skip();
      }
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (core in NEEDS) env.OPENBLAS_CORETYPE = core;
      else delete env.OPENBLAS_CORETYPE;
      const r = spawnSync(process.execPath, ['--conditions=source', '--import=tsx', child], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { core: string; summary: string; errors: Record<string, number>; skipped?: string };
      expect(out.skipped, 'the addon loads in the child').to.equal(undefined);
      if (core in NEEDS) expect(out.core.toLowerCase()).to.equal(core.toLowerCase());
      console.log(`      ${out.summary}`);
      expect(Object.keys(out.errors)).to.have.length(6);
      for (const [name, err] of Object.entries(out.errors)) expect(err, name).to.be.below(1e-4);
    });
  }
});
