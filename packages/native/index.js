// Loads the OpenBLAS addon if it was built and can load; never throws. Callers
// check `available` and fall back to their own kernels with `reason` in logs.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decideCore, describeCore, probeOpenblas } from './core-choice.js';

const file = fileURLToPath(new URL('./build/clusterflow_native.node', import.meta.url));
/** CLUSTERFLOW_OPENBLAS_PROBE replaces the probe (the specs play a CPU OpenBLAS does not know with it). */
const probeFile = process.env.CLUSTERFLOW_OPENBLAS_PROBE || fileURLToPath(new URL('./build/openblas-probe', import.meta.url));

/** OpenBLAS's core for this CPU (core-choice.js); the user's OPENBLAS_CORETYPE always wins. */
function chooseCore() {
  const userCore = process.env.OPENBLAS_CORETYPE;
  if (userCore || !['x64', 'ia32'].includes(process.arch)) return decideCore({ userCore });
  if (!existsSync(probeFile)) return decideCore({ probeError: `${probeFile} not built (node build.js)` });
  const { probe, error } = probeOpenblas(probeFile);
  return decideCore({ probe, probeError: error });
}

/**
 * Requires the addon with `core` in OPENBLAS_CORETYPE (OpenBLAS reads it in its
 * constructor, at this dlopen), then puts the variable back as it was: child
 * processes (workers, PyTorch) decide for themselves.
 */
function requireWithCore(core) {
  const before = process.env.OPENBLAS_CORETYPE; // unset, or empty (OpenBLAS then detects)
  if (core) process.env.OPENBLAS_CORETYPE = core;
  try {
    return createRequire(import.meta.url)(file);
  } finally {
    if (core && before === undefined) delete process.env.OPENBLAS_CORETYPE;
    else if (core) process.env.OPENBLAS_CORETYPE = before;
  }
}

/** Threads for the addon's kernels, products included: CLUSTERFLOW_NATIVE_THREADS, else 2 (the reference PyTorch figures use 2). */
function threadCount() {
  const n = Number(process.env.CLUSTERFLOW_NATIVE_THREADS ?? 2);
  return Number.isInteger(n) && n >= 1 ? n : 2;
}

/**
 * The convolutions' implementation, for logs: "oneDNN 2.6.3 (avx512_core) for forward, filter grad;
 * OpenBLAS patch matrices otherwise", or why oneDNN is not used.
 */
function describeConvolutions(info) {
  if (!info?.dnnl) return 'OpenBLAS patch matrices (addon built without oneDNN)';
  if (process.env.CLUSTERFLOW_NO_DNNL === '1') return `OpenBLAS patch matrices (${info.dnnl} off: CLUSTERFLOW_NO_DNNL=1)`;
  const ops = ['forward', 'filter grad', 'input grad'].filter((_, i) => info.ops & (1 << i));
  if (ops.length === 0) return `OpenBLAS patch matrices (${info.dnnl} off)`;
  return `${info.dnnl} for ${ops.join(', ')}${ops.length < 3 ? '; OpenBLAS patch matrices otherwise' : ''}`;
}

/**
 * The matrix products' implementation, for logs: OpenBLAS, or oneDNN's sgemm where it is the wider
 * code (src/dnnl_gemm.c: oneDNN runs AVX-512 and OpenBLAS's core has none).
 */
function describeProducts(addon, core) {
  const dnnl = addon.getConvInfo().dnnl;
  if (!addon.getGemmDnnl()) return `OpenBLAS${dnnl && process.env.CLUSTERFLOW_NO_DNNL === '1' ? ` (${dnnl} off: CLUSTERFLOW_NO_DNNL=1)` : ''}`;
  return `${dnnl} sgemm (OpenBLAS's core ${core} has no AVX-512 kernels)`;
}

function load() {
  if (process.env.CLUSTERFLOW_NATIVE === '0') return { available: false, reason: 'disabled by CLUSTERFLOW_NATIVE=0' };
  if (!existsSync(file)) {
    return {
      available: false,
      reason:
        'addon not built (run `node build.js` in the @clusterflow/native folder, `npm run build -w @clusterflow/native` in the repository; needs a C compiler and libopenblas-dev)',
    };
  }
  try {
    const decision = chooseCore();
    const addon = requireWithCore(decision.set);
    addon.setNumThreads(threadCount());
    // Read once, here: the convolutions stay on OpenBLAS for the whole process.
    if (process.env.CLUSTERFLOW_NO_DNNL === '1') (addon.setConvDnnl(0), addon.setGemmDnnl(0));
    const config = addon.getConfig(),
      core = addon.getCorename?.() ?? 'unknown';
    const wanted = decision.set ?? process.env.OPENBLAS_CORETYPE;
    return {
      available: true,
      sgemm: addon.sgemm,
      batchNormForward: addon.batchNormForward,
      batchNormBackward: addon.batchNormBackward,
      sumMiddle: addon.sumMiddle,
      maxPoolGrad: addon.maxPoolGrad,
      maxPoolArgmax: addon.maxPoolArgmax,
      maxPoolScatter: addon.maxPoolScatter,
      biasReluForward: addon.biasReluForward,
      biasReluBackward: addon.biasReluBackward,
      sgdStep: addon.sgdStep,
      adamStep: addon.adamStep,
      conv2d: addon.conv2d,
      conv2dFilterGrad: addon.conv2dFilterGrad,
      conv2dInputGrad: addon.conv2dInputGrad,
      setNumThreads: addon.setNumThreads,
      setWorkSharing: addon.setWorkSharing,
      getNumThreads: addon.getNumThreads,
      setConvDnnl: addon.setConvDnnl,
      getConvInfo: addon.getConvInfo,
      setGemmDnnl: addon.setGemmDnnl,
      getGemmDnnl: addon.getGemmDnnl,
      convolutions: describeConvolutions(addon.getConvInfo()),
      products: describeProducts(addon, core),
      config,
      openblas: { core, reason: decision.reason, chosen: decision.set, summary: describeCore(config, core, decision, wanted) },
    };
  } catch (err) {
    // Typically libopenblas.so.0 missing at run time on a machine other than the build's.
    return { available: false, reason: `addon failed to load: ${String(err?.message ?? err).split('\n')[0]}` };
  }
}

const native = load();
export const {
  available,
  reason,
  sgemm,
  conv2d,
  conv2dFilterGrad,
  conv2dInputGrad,
  batchNormForward,
  batchNormBackward,
  sumMiddle,
  maxPoolGrad,
  maxPoolArgmax,
  maxPoolScatter,
  biasReluForward,
  biasReluBackward,
  sgdStep,
  adamStep,
  setNumThreads,
  setWorkSharing,
  getNumThreads,
  setConvDnnl,
  getConvInfo,
  setGemmDnnl,
  getGemmDnnl,
  convolutions,
  products,
  config,
  openblas,
} = native;
export { bestCoreFor, decideCore, describeCore, probeOpenblas } from './core-choice.js';
export default native;
