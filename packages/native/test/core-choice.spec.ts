import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bestCoreFor, decideCore, describeCore, type OpenblasProbe } from '../core-choice.js';

// Which OpenBLAS core the loader sets (core-choice.js): the decision on fixed
// CPUs, then the loader in child processes, where OPENBLAS_CORETYPE is read.

const CONFIG = 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64';
const AVX2 = ['avx', 'avx2', 'fma'];
const AVX512 = [...AVX2, 'avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];
const probe = (core: string, flags: string[], vendor: OpenblasProbe['vendor'] = 'intel', config = CONFIG): OpenblasProbe => ({ core, config, vendor, flags });

describe('OpenBLAS core choice', () => {
  it('sets SkylakeX where OpenBLAS falls back to Prescott on an AVX-512 CPU (Xeon family 6 model 207)', () => {
    expect(decideCore({ probe: probe('Prescott', AVX512) })).to.deep.equal({
      set: 'SkylakeX',
      reason: 'chosen: OpenBLAS did not recognise this CPU and picked Prescott',
    });
  });

  it('sets Haswell (Intel) or Zen (AMD) for generic picks on AVX2 + FMA CPUs, Sandybridge included', () => {
    expect(decideCore({ probe: probe('Nehalem', AVX2) }).set).to.equal('Haswell');
    expect(decideCore({ probe: probe('Sandybridge', AVX2) }).set).to.equal('Haswell');
    expect(decideCore({ probe: probe('Barcelona', AVX2, 'amd') }).set).to.equal('Zen');
    expect(decideCore({ probe: probe('Core2', AVX2, 'other') }).set).to.equal('Haswell');
  });

  it('sets SkylakeX over Haswell or Zen when the CPU has AVX-512, and says why', () => {
    expect(decideCore({ probe: probe('Zen', AVX512, 'amd') })).to.deep.equal({
      set: 'SkylakeX',
      reason: "chosen: OpenBLAS picked Zen, which leaves this CPU's AVX-512 unused",
    });
  });

  it("keeps OpenBLAS's own pick where it is as good as the flags allow, or the flags allow no better", () => {
    const own = { reason: "OpenBLAS's own choice" };
    expect(decideCore({ probe: probe('Cooperlake', AVX512, 'amd') })).to.deep.equal(own); // this machine, Zen 5
    expect(decideCore({ probe: probe('SkylakeX', AVX512) })).to.deep.equal(own);
    expect(decideCore({ probe: probe('Haswell', AVX2) })).to.deep.equal(own);
    expect(decideCore({ probe: probe('Zen', AVX2, 'amd') })).to.deep.equal(own);
    expect(decideCore({ probe: probe('Sandybridge', ['avx']) })).to.deep.equal(own); // no AVX2
    expect(decideCore({ probe: probe('Prescott', ['avx', 'avx2']) })).to.deep.equal(own); // AVX2 without FMA
    expect(decideCore({ probe: probe('Prescott', []) })).to.deep.equal(own);
    // Cores OpenBLAS picks only for CPUs it recognised, and other architectures' cores.
    expect(decideCore({ probe: probe('Excavator', AVX2, 'amd') })).to.deep.equal(own);
    expect(decideCore({ probe: probe('NEOVERSEN1', []) })).to.deep.equal(own);
  });

  it('leaves an OpenBLAS built for one core alone: it ignores the variable', () => {
    expect(decideCore({ probe: probe('Prescott', AVX512, 'intel', 'OpenBLAS 0.3.21 NO_AFFINITY PRESCOTT MAX_THREADS=64') })).to.deep.equal({
      reason: "OpenBLAS's own choice: built for this core only",
    });
  });

  it("lets the user's OPENBLAS_CORETYPE win, and treats an empty one as unset", () => {
    expect(decideCore({ userCore: 'Prescott', probe: probe('Prescott', AVX512) })).to.deep.equal({ reason: 'set by OPENBLAS_CORETYPE' });
    expect(decideCore({ userCore: '', probe: probe('Prescott', AVX512) }).set).to.equal('SkylakeX');
  });

  it('says why it did not probe', () => {
    expect(decideCore({ probeError: 'probe not built' })).to.deep.equal({ reason: "OpenBLAS's own choice; not probed: probe not built" });
  });

  it('never chooses Cooperlake: OpenBLAS 0.3.21 does not take that name from the variable', () => {
    expect(bestCoreFor([...AVX512, 'avx512bf16'], 'intel')).to.equal('SkylakeX');
    expect(
      bestCoreFor(
        AVX512.filter((f) => f !== 'avx512vl'),
        'intel',
      ),
    ).to.equal('Haswell');
  });

  it('describes the core with the version, and says when OpenBLAS did not take the core asked for', () => {
    const chosen = decideCore({ probe: probe('Prescott', AVX512) });
    expect(describeCore(CONFIG, 'SkylakeX', chosen, 'SkylakeX')).to.equal(
      'OpenBLAS 0.3.21, core SkylakeX (chosen: OpenBLAS did not recognise this CPU and picked Prescott)',
    );
    expect(describeCore(CONFIG, 'Haswell', { reason: 'set by OPENBLAS_CORETYPE' }, 'haswell')).to.equal(
      'OpenBLAS 0.3.21, core Haswell (set by OPENBLAS_CORETYPE)',
    );
    expect(describeCore(CONFIG, 'Prescott', { reason: 'set by OPENBLAS_CORETYPE' }, 'Skylake')).to.equal(
      "OpenBLAS 0.3.21, core Prescott (OPENBLAS_CORETYPE=Skylake was not taken; OpenBLAS's own choice)",
    );
  });
});

describe('OpenBLAS core choice at load (child processes)', function () {
  this.timeout(60_000);
  const here = fileURLToPath(new URL('..', import.meta.url));
  const realProbe = join(here, 'build', 'openblas-probe');
  let dir: string;

  before(function () {
    if (!existsSync(join(here, 'build', 'clusterflow_native.node')) || !existsSync(realProbe)) {
      console.log('    skipped: the addon or its probe is not built (node packages/native/build.js)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'cf-core-'));
    // The real probe's line with OpenBLAS's pick made Prescott: the CPU of the issue, played on this one.
    writeFileSync(join(dir, 'fake-probe'), `#!/bin/sh\n"${realProbe}" | sed 's/"core":"[^"]*"/"core":"Prescott"/'\n`);
    chmodSync(join(dir, 'fake-probe'), 0o755);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Loads the addon in a child with `env` over this one's, OPENBLAS_CORETYPE removed unless given. */
  function load(env: Record<string, string>): { openblas: { core: string; reason: string; summary: string }; after?: string; ms: number } {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!('OPENBLAS_CORETYPE' in env)) delete childEnv.OPENBLAS_CORETYPE;
    const script = `const t0 = performance.now(); const m = await import(${JSON.stringify(join(here, 'index.js'))});
      console.log(JSON.stringify({ openblas: m.openblas, after: process.env.OPENBLAS_CORETYPE, ms: performance.now() - t0 }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: childEnv, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  }

  function realFlags(): { core: string; flags: string[]; vendor: string } {
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    return JSON.parse(spawnSync(realProbe, [], { env, encoding: 'utf8' }).stdout);
  }

  it("with OPENBLAS_CORETYPE unset, loads on OpenBLAS's own pick where it is not generic, and says so", () => {
    const real = realFlags();
    const r = load({});
    const expected = decideCore({ probe: real as OpenblasProbe });
    expect(r.openblas.core).to.equal(expected.set ?? real.core);
    expect(r.openblas.reason).to.equal(expected.reason);
    expect(r.after, 'the variable is not left set for child processes').to.equal(undefined);
    console.log(`    ${r.openblas.summary}; the load took ${r.ms.toFixed(0)} ms, the probe included`);
  });

  it('on a CPU OpenBLAS does not know (a probe that reports Prescott), loads the best core the flags allow', () => {
    const real = realFlags();
    const best = bestCoreFor(real.flags, real.vendor);
    const r = load({ CLUSTERFLOW_OPENBLAS_PROBE: join(dir, 'fake-probe') });
    if (!best) {
      expect(r.openblas.reason).to.equal("OpenBLAS's own choice");
      return;
    }
    expect(r.openblas.core).to.equal(best);
    expect(r.openblas.summary).to.match(new RegExp(`^OpenBLAS [0-9.]+, core ${best} \\(chosen: OpenBLAS did not recognise this CPU and picked Prescott\\)$`));
    expect(r.after).to.equal(undefined);
  });

  it('treats an empty OPENBLAS_CORETYPE as unset, and leaves it empty after the load', () => {
    const real = realFlags();
    const best = bestCoreFor(real.flags, real.vendor);
    const r = load({ OPENBLAS_CORETYPE: '', CLUSTERFLOW_OPENBLAS_PROBE: join(dir, 'fake-probe') });
    expect(r.openblas.core).to.equal(best ?? real.core);
    expect(r.after).to.equal('');
  });

  it("keeps the user's OPENBLAS_CORETYPE, even over a generic pick", () => {
    const r = load({ OPENBLAS_CORETYPE: 'Prescott', CLUSTERFLOW_OPENBLAS_PROBE: join(dir, 'fake-probe') });
    expect(r.openblas.summary).to.match(/^OpenBLAS [0-9.]+, core Prescott \(set by OPENBLAS_CORETYPE\)$/);
    expect(r.after).to.equal('Prescott');
  });

  it('loads on its own pick, and says why, when the probe fails', () => {
    const broken = join(dir, 'broken-probe');
    writeFileSync(broken, '#!/bin/sh\necho not json\n');
    chmodSync(broken, 0o755);
    const r = load({ CLUSTERFLOW_OPENBLAS_PROBE: broken });
    expect(r.openblas.reason).to.equal(`OpenBLAS's own choice; not probed: ${broken} printed no JSON`);
  });
});
