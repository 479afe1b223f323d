import { expect } from 'chai';
import type { Tensor } from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { registerWasmKernels } from '../../src/kernels/index.js';
import { tryRegisterNativeKernels } from '../../src/kernels/native-matmul.js';

// Helpers of the kernel specs: the same computation on the cpu backend (stock
// TF.js kernels and gradients, but Sum's and Mean's, which equal TF.js's to the
// bit: reduce-gradients.spec.ts) and on wasm with clusterflow's kernels, from
// the same fixed pseudo-random inputs.

/** Deterministic values in [-1, 1), so cpu and wasm see identical inputs. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

export function input(shape: number[], seed: number): Tensor {
  return tf.tensor(
    values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

/** Runs `f` on a backend, returns its outputs' values, and checks it left no tensors behind. */
export async function on(backend: 'cpu' | 'wasm', f: () => Tensor | Tensor[]): Promise<Float32Array[]> {
  await selectBackend(backend);
  if (backend === 'wasm') registerWasmKernels();
  const before = tf.memory().numTensors;
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const vals = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  expect(tf.memory().numTensors, `${backend} tensors leaked`).to.equal(before);
  return vals;
}

/** max |a - b| / max |b|, with b the cpu reference. */
export function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).to.equal(b.length);
  let diff = 0,
    scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  expect(scale, 'reference is all zeros').to.be.greaterThan(0);
  return diff / scale;
}

/**
 * A suite's `before` hook: the wasm backend with the native kernels, or the suite
 * skipped with the reason (the addon not built, or not loadable here). `say`
 * also prints what was registered.
 */
export function beforeNativeWasm(say = false): void {
  before(async function () {
    await selectBackend('wasm');
    const r = await tryRegisterNativeKernels();
    if (!r.used) {
      console.log(`    skipped: ${r.reason}`);
      this.skip();
    }
    if (say) console.log(`    native: ${r.reason}`);
  });
}
