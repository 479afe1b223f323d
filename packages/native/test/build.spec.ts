import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import native from '@clusterflow/native';

// build.js in a copy of the package (its own build/ folder, so the suite's addon is
// untouched): it rebuilds when the compiler line changes, not only when a source does.
const pkg = fileURLToPath(new URL('..', import.meta.url));

describe('build.js: when the addon is up to date', function () {
  this.timeout(120_000);
  let dir: string;
  const build = (env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(dir, 'build.js')], { env: { ...process.env, CLUSTERFLOW_NO_DNNL: '', ...env }, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    return r.stdout.split('\n')[0];
  };

  before(function () {
    // Where the addon could not be built (no compiler, no OpenBLAS), there is nothing to rebuild.
    if (!native.available) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'cf-native-build-'));
    for (const part of ['build.js', 'src', 'probe']) cpSync(join(pkg, part), join(dir, part), { recursive: true });
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('builds, then says up to date; CLUSTERFLOW_NO_DNNL=1 builds again without oneDNN (it once kept the oneDNN build), and back', () => {
    expect(build()).to.match(/^@clusterflow\/native: built /);
    expect(build()).to.match(/^@clusterflow\/native: up to date/);
    expect(build({ CLUSTERFLOW_NO_DNNL: '1' })).to.match(/built .* without oneDNN \(CLUSTERFLOW_NO_DNNL=1\)$/);
    expect(build({ CLUSTERFLOW_NO_DNNL: '1' })).to.match(/up to date \(without oneDNN \(CLUSTERFLOW_NO_DNNL=1\)\)$/);
    const again = build();
    expect(again).to.match(/^@clusterflow\/native: built /);
    expect(again).to.not.include('CLUSTERFLOW_NO_DNNL');
  });

  it('without a compiler says the addon built before stays in use (it said "not built"), and "not built" where there is none', () => {
    const noCompiler = { PATH: mkdtempSync(join(tmpdir(), 'cf-no-cc-')) };
    expect(build()).to.match(/^@clusterflow\/native: (built|up to date)/);
    expect(build(noCompiler)).to.equal(
      `@clusterflow/native: not rebuilt (no C compiler found); the addon built before stays in use: ${join(dir, 'build', 'clusterflow_native.node')}`,
    );
    const bare = mkdtempSync(join(tmpdir(), 'cf-native-bare-'));
    try {
      for (const part of ['build.js', 'src', 'probe']) cpSync(join(dir, part), join(bare, part), { recursive: true });
      const r = spawnSync(process.execPath, [join(bare, 'build.js')], { env: { ...process.env, ...noCompiler }, encoding: 'utf8' });
      expect(r.stdout.split('\n')[0]).to.equal('@clusterflow/native: not built (no C compiler found); the wasm backend will use its own matmul');
    } finally {
      rmSync(bare, { recursive: true, force: true });
      rmSync(noCompiler.PATH, { recursive: true, force: true });
    }
  });

  it('builds again when a source is newer than the addon', () => {
    expect(build()).to.match(/up to date/);
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'src', 'gemm.c'), later, later);
    expect(build()).to.match(/^@clusterflow\/native: built /);
  });
});
