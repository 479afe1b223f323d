// Which OpenBLAS core (kernel set) the addon runs on. A DYNAMIC_ARCH OpenBLAS
// picks its kernels from the CPU's family and model, and falls back to old
// generic ones (Prescott: SSE3) on a CPU it does not know, even one with
// AVX-512: Debian's 0.3.21 does that on recent Xeons, 3-4x slower products.
// OpenBLAS reads OPENBLAS_CORETYPE once, in its library constructor, so the
// loader (index.js) asks a small probe (probe/openblas-probe.c, run with the
// variable unset) what OpenBLAS would pick and what the CPU can run, decides
// here, and sets the variable before it loads the addon. A user's own
// OPENBLAS_CORETYPE always wins.
import { spawnSync } from 'node:child_process';

/**
 * OpenBLAS's x86 cores by the widest vector kernels they use: 0 generic
 * (SSE-era, what an unknown CPU gets), 1 AVX, 2 AVX2 + FMA, 3 AVX-512. AMD's
 * Bulldozer family and non-x86 cores are absent: OpenBLAS picks those only for
 * CPUs it recognised, so they are never overridden.
 */
const TIER = {
  unknown: 0,
  katmai: 0,
  coppermine: 0,
  northwood: 0,
  prescott: 0,
  banias: 0,
  atom: 0,
  core2: 0,
  penryn: 0,
  dunnington: 0,
  nehalem: 0,
  athlon: 0,
  opteron: 0,
  opteron_sse3: 0,
  barcelona: 0,
  nano: 0,
  bobcat: 0,
  sandybridge: 1,
  haswell: 2,
  zen: 2,
  skylakex: 3,
  cooperlake: 3,
  sapphirerapids: 3,
};

/**
 * The best core the CPU's flags allow, or undefined. Never Cooperlake: OpenBLAS
 * 0.3.21's force_coretype() searches its names only up to SkylakeX, so
 * OPENBLAS_CORETYPE=Cooperlake is "Core not found" and it detects again (the
 * generic core, on the CPUs this is for). SkylakeX has the same sgemm.
 */
export function bestCoreFor(flags, vendor) {
  const has = (f) => flags.includes(f);
  if (['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every(has)) return 'SkylakeX';
  if (has('avx2') && has('fma')) return vendor === 'amd' ? 'Zen' : 'Haswell';
  return undefined;
}

/**
 * The decision, pure: `userCore` is OPENBLAS_CORETYPE as the user set it (empty
 * counts as unset: OpenBLAS then detects), `probe` what OpenBLAS picks on its
 * own and the CPU's flags (undefined when not probed, `probeError` says why).
 * Returns the core to set, if any, and the reason reported beside the core.
 */
export function decideCore({ userCore, probe, probeError }) {
  if (userCore) return { reason: 'set by OPENBLAS_CORETYPE' };
  if (!probe) return { reason: `OpenBLAS's own choice${probeError ? `; not probed: ${probeError}` : ''}` };
  // Built for one core: OpenBLAS ignores the variable.
  if (!/\bDYNAMIC_ARCH\b/.test(probe.config ?? '')) return { reason: "OpenBLAS's own choice: built for this core only" };
  const best = bestCoreFor(probe.flags ?? [], probe.vendor);
  const own = TIER[String(probe.core).toLowerCase()];
  if (best === undefined || own === undefined || own >= TIER[best.toLowerCase()]) return { reason: "OpenBLAS's own choice" };
  return {
    set: best,
    reason:
      own <= 1
        ? `chosen: OpenBLAS did not recognise this CPU and picked ${probe.core}`
        : `chosen: OpenBLAS picked ${probe.core}, which leaves this CPU's AVX-512 unused`,
  };
}

/**
 * The line logs and results.json carry, e.g. "OpenBLAS 0.3.21, core SkylakeX
 * (chosen: OpenBLAS did not recognise this CPU and picked Prescott)". `core` is
 * what the loaded OpenBLAS reports (openblas_get_corename), which says whether
 * a core set through the variable was taken.
 */
export function describeCore(config, core, decision, wanted) {
  const version = /^OpenBLAS\s+(\S+)/.exec(config ?? '')?.[1];
  let reason = decision.reason;
  if (wanted && core.toLowerCase() !== wanted.toLowerCase()) {
    reason = `OPENBLAS_CORETYPE=${wanted} was not taken; OpenBLAS's own choice`;
  }
  return `OpenBLAS${version ? ` ${version}` : ''}, core ${core} (${reason})`;
}

/**
 * Runs the probe with OPENBLAS_CORETYPE unset; its parsed line, or `error`.
 * One thread, so OpenBLAS starts no pool it would stop again at once.
 */
export function probeOpenblas(probePath, env = process.env) {
  const childEnv = { ...env, OPENBLAS_NUM_THREADS: '1', OPENBLAS_VERBOSE: '0' };
  delete childEnv.OPENBLAS_CORETYPE;
  const r = spawnSync(probePath, [], { env: childEnv, encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { error: `${probePath}: ${r.error.message}` };
  if (r.status !== 0) return { error: `${probePath} exited with ${r.status ?? r.signal}` };
  try {
    const probe = JSON.parse(r.stdout);
    if (typeof probe.core !== 'string') return { error: `${probePath} printed no core` };
    return { probe };
  } catch {
    return { error: `${probePath} printed no JSON` };
  }
}
