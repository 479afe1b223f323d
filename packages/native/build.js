#!/usr/bin/env node
// Builds the OpenBLAS addon with the system C compiler. Not an install script
// (npm 11 blocks those): the root `npm run build` calls it. A machine without a
// compiler, Node's headers or OpenBLAS is an ordinary case: print one line and
// exit 0, and the loader (index.js) reports the addon as unavailable.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, 'src');
const sources = readdirSync(srcDir)
  .filter((f) => /\.[ch]$/.test(f))
  .map((f) => join(srcDir, f));
const out = join(here, 'build', 'clusterflow_native.node');
// The probe (probe/openblas-probe.c) tells the loader which core OpenBLAS picks on its own (core-choice.js).
const probeSource = join(here, 'probe', 'openblas-probe.c');
const probeOut = join(here, 'build', 'openblas-probe');
const force = process.argv.includes('--force');

function skip(why) {
  // An addon built before (with a compiler that is gone now, or before a failed edit) still loads.
  if (existsSync(out)) console.log(`@clusterflow/native: not rebuilt (${why}); the addon built before stays in use: ${out}`);
  else console.log(`@clusterflow/native: not built (${why}); the wasm backend will use its own matmul`);
  process.exit(0);
}

/** The first line of a failed compile's output that names an error. */
function compilerError(err) {
  const lines = String(err.stderr ?? err.message)
    .trim()
    .split('\n');
  return (lines.find((l) => /error/i.test(l)) ?? 'compiler failed').trim();
}

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

const compiler = ['cc', 'gcc', 'clang', 'g++'].find(has);
if (!compiler) skip('no C compiler found');

// node_api.h: next to this node, npm's nodedir, or the distro's nodejs-dev.
const nodeInclude = [
  resolve(dirname(process.execPath), '..', 'include', 'node'),
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].find((d) => d && existsSync(join(d, 'node_api.h')));
if (!nodeInclude) skip("Node's headers (node_api.h) not found");

// cblas.h: Debian's libopenblas-dev puts it under the multiarch dir; others under openblas/.
const blasInclude = [
  '/usr/include/x86_64-linux-gnu',
  '/usr/include/aarch64-linux-gnu',
  '/usr/include/openblas',
  '/usr/include',
  '/usr/local/include',
  '/opt/homebrew/opt/openblas/include',
].find((d) => existsSync(join(d, 'cblas.h')));
if (!blasInclude) skip('OpenBLAS headers (cblas.h) not found: apt-get install libopenblas-dev');

// oneDNN (Debian's libdnnl-dev) for the convolutions (src/dnnl_conv.c), when its header and library are
// both there; CLUSTERFLOW_NO_DNNL=1 at build time leaves it out. Without it the addon is built as before.
const dnnlInclude =
  process.env.CLUSTERFLOW_NO_DNNL === '1'
    ? undefined
    : ['/usr/include', '/usr/local/include', '/opt/homebrew/include'].find((d) => existsSync(join(d, 'dnnl.h')));
const dnnlLib =
  dnnlInclude &&
  ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/lib64', '/usr/local/lib', '/opt/homebrew/lib'].find((d) =>
    ['libdnnl.so', 'libdnnl.dylib'].some((f) => existsSync(join(d, f))),
  );
// Debian's oneDNN runs on OpenMP: the addon sets that team's size (libgomp's omp_set_num_threads).
const dnnlOmp =
  dnnlLib &&
  /DNNL_CPU_THREADING_RUNTIME\s+DNNL_RUNTIME_OMP/.test(
    [join(dnnlInclude, 'oneapi', 'dnnl', 'dnnl_config.h'), join(dnnlInclude, 'dnnl_config.h')]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n'),
  );
const dnnl = dnnlLib ? [`-I${dnnlInclude}`, '-DCF_HAVE_DNNL', `-L${dnnlLib}`, ...(dnnlOmp ? ['-DCF_DNNL_OMP'] : [])] : [];
const dnnlNote = dnnlLib
  ? 'with oneDNN (convolutions; matrix products where OpenBLAS has no AVX-512 core)'
  : process.env.CLUSTERFLOW_NO_DNNL === '1'
    ? 'without oneDNN (CLUSTERFLOW_NO_DNNL=1)'
    : 'without oneDNN (dnnl.h or libdnnl not found: apt-get install libdnnl-dev for its convolutions)';

const tmp = `${out}.tmp`;
const args = [
  ...(compiler === 'g++' ? ['-x', 'c'] : []),
  // -O3 vectorises the elementwise loops of the BatchNorm and reduction kernels.
  '-O3',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-Wall',
  '-pthread',
  `-I${nodeInclude}`,
  `-I${blasInclude}`,
  ...sources.filter((f) => f.endsWith('.c')),
  // The addon's N-API symbols resolve against the running node at load time.
  ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup', '-L/opt/homebrew/opt/openblas/lib'] : []),
  ...dnnl,
  '-o',
  tmp,
  '-lopenblas',
  ...(dnnlLib ? ['-ldnnl', ...(dnnlOmp ? ['-lgomp'] : [])] : []),
  '-lm',
];
// Up to date: the build is a few seconds, but `npm run build` runs often. Newer than its sources
// is not enough: the same sources build another addon when the compiler line changes (oneDNN
// installed or removed, CLUSTERFLOW_NO_DNNL=1 given), so the line is kept beside the addon.
const stamp = `${out}.build.json`;
const buildLine = JSON.stringify({ compiler, args });
const built = (file, from) => existsSync(file) && from.every((f) => statSync(file).mtimeMs >= statSync(f).mtimeMs);
const sameLine = existsSync(stamp) && readFileSync(stamp, 'utf8') === buildLine;
if (!force && sameLine && built(out, sources) && built(probeOut, [probeSource])) {
  console.log(`@clusterflow/native: up to date (${dnnlNote})`);
  process.exit(0);
}

mkdirSync(dirname(out), { recursive: true });
rmSync(stamp, { force: true });
try {
  execFileSync(compiler, args, { stdio: ['ignore', 'inherit', 'pipe'] });
} catch (err) {
  skip(`${compiler} failed: ${compilerError(err)}`);
}
// Rename last, so a failed build never leaves a half-written addon for the loader.
renameSync(tmp, out);
writeFileSync(stamp, buildLine);
console.log(`@clusterflow/native: built ${out} ${dnnlNote}`);

// Without the probe the addon still works, on the core OpenBLAS picks itself (the loader says so).
try {
  execFileSync(
    compiler,
    [
      ...(compiler === 'g++' ? ['-x', 'c'] : []),
      '-O2',
      `-I${blasInclude}`,
      probeSource,
      ...(process.platform === 'darwin' ? ['-L/opt/homebrew/opt/openblas/lib'] : []),
      '-o',
      `${probeOut}.tmp`,
      '-lopenblas',
    ],
    { stdio: ['ignore', 'inherit', 'pipe'] },
  );
  renameSync(`${probeOut}.tmp`, probeOut);
  console.log(`@clusterflow/native: built ${probeOut}`);
} catch (err) {
  console.log(`@clusterflow/native: probe not built (${compilerError(err)}); OpenBLAS will run on the core it picks itself`);
}
