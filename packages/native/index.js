// Loads the OpenBLAS addon if it was built and can load; never throws. Callers
// check `available` and fall back to their own kernels with `reason` in logs.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('./build/clusterflow_native.node', import.meta.url));

/** Threads for the addon's kernels, products included: CLUSTERFLOW_NATIVE_THREADS, else 2 (the reference PyTorch figures use 2). */
function threadCount() {
  const n = Number(process.env.CLUSTERFLOW_NATIVE_THREADS ?? 2);
  return Number.isInteger(n) && n >= 1 ? n : 2;
}

function load() {
  if (process.env.CLUSTERFLOW_NATIVE === '0') return { available: false, reason: 'disabled by CLUSTERFLOW_NATIVE=0' };
  if (!existsSync(file)) {
    return { available: false, reason: 'addon not built (run `node build.js` in the @clusterflow/native folder, `npm run build -w @clusterflow/native` in the repository; needs a C compiler and libopenblas-dev)' };
  }
  try {
    const addon = createRequire(import.meta.url)(file);
    addon.setNumThreads(threadCount());
    return {
      available: true,
      sgemm: addon.sgemm,
      batchNormForward: addon.batchNormForward,
      batchNormBackward: addon.batchNormBackward,
      sumMiddle: addon.sumMiddle,
      maxPoolGrad: addon.maxPoolGrad,
      conv2d: addon.conv2d,
      conv2dFilterGrad: addon.conv2dFilterGrad,
      conv2dInputGrad: addon.conv2dInputGrad,
      setNumThreads: addon.setNumThreads,
      getNumThreads: addon.getNumThreads,
      config: addon.getConfig(),
    };
  } catch (err) {
    // Typically libopenblas.so.0 missing at run time on a machine other than the build's.
    return { available: false, reason: `addon failed to load: ${String(err?.message ?? err).split('\n')[0]}` };
  }
}

const native = load();
export const {
  available, reason, sgemm, conv2d, conv2dFilterGrad, conv2dInputGrad, batchNormForward, batchNormBackward, sumMiddle, maxPoolGrad,
  setNumThreads, getNumThreads, config,
} = native;
export default native;
