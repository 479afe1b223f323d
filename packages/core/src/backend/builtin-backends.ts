import { z } from 'zod';
import { platform } from '#platform';
import { whyNotLoaded } from '../optional-package.js';
import { registerWasmKernels, tryRegisterNativeKernels } from '../kernels/index.js';
import type { BackendAttempt, BackendFactory } from './backend.js';
import { tf } from './tfjs.js';
import { startWebgpu, webgpuOptions } from './webgpu.js';

const noOptions = z.object({}).strict() as z.ZodType<Record<string, never>>;

/** The native TensorFlow bindings: optional packages whose install step downloads libtensorflow. */
function nativeTensorflow(id: 'tensorflow-gpu' | 'tensorflow', pkg: string, autoOrder: number): BackendFactory<Record<string, never>> {
  return {
    id,
    description: `TensorFlow C library through ${pkg} (optional dependency; absent where it cannot install)`,
    options: noOptions,
    autoOrder,
    async create() {
      try {
        await platform.importNodeOnly(pkg);
      } catch (err) {
        return { ok: false, reason: whyNotLoaded(pkg, err) };
      }
      return (await activate('tensorflow')) ? { ok: true, tfBackend: 'tensorflow' } : { ok: false, reason: `${pkg} loaded but its backend did not start` };
    },
  };
}

export const wasmOptions = z
  .object({
    /** Matrix products, convolutions, training BatchNorm and some reductions natively (OpenBLAS) when @clusterflow/native is built. */
    native: z.boolean().default(true),
  })
  .strict();

export const wasmBackend: BackendFactory<z.output<typeof wasmOptions>> = {
  id: 'wasm',
  description: "TF.js wasm with clusterflow's kernels (conv gradients, fast matmul) and, when built, the OpenBLAS addon",
  options: wasmOptions,
  autoOrder: 40,
  async create(o) {
    await import('@tensorflow/tfjs-backend-wasm');
    // Stock wasm cannot train convolutions and multiplies transposed matrices slowly.
    registerWasmKernels();
    if (!(await activate('wasm'))) return { ok: false, reason: 'the wasm backend did not start' };
    // Its absence is an ordinary outcome, reported beside the backend.
    const kernels = o.native ? (await tryRegisterNativeKernels()).reason : 'native kernels off (options.native: false)';
    return { ok: true, tfBackend: 'wasm', note: `kernels: ${kernels}` };
  },
};

export const cpuBackend: BackendFactory<Record<string, never>> = {
  id: 'cpu',
  description: "TF.js's plain JavaScript backend: slow, always there, the reference the kernels are tested against",
  options: noOptions,
  autoOrder: 50,
  async create() {
    if (!(await activate('cpu'))) return { ok: false, reason: 'the cpu backend did not start' };
    // The cpu backend greets its first tensor in Node with "Hi, looks like you are
    // running TensorFlow.js in Node.js..." on stderr. Here cpu is a choice that the
    // backend summary already states (with what auto tried), so the banner is noise.
    (tf.backend() as { firstUse?: boolean }).firstUse = false;
    return { ok: true, tfBackend: 'cpu' };
  },
};

export const webgpuBackend: BackendFactory<z.output<typeof webgpuOptions>> = {
  id: 'webgpu',
  description: "WebGPU (Dawn through the `webgpu` package in Node, the browser's own elsewhere); auto skips software adapters",
  options: webgpuOptions,
  autoOrder: 30,
  create: (o, ctx) => startWebgpu(o, ctx, activate),
};

/** Core's backends, in `auto`'s order. */
export const BUILTIN_BACKENDS: readonly BackendFactory[] = [
  nativeTensorflow('tensorflow-gpu', '@tensorflow/tfjs-node-gpu', 10),
  nativeTensorflow('tensorflow', '@tensorflow/tfjs-node', 20),
  webgpuBackend,
  wasmBackend,
  cpuBackend,
];

export async function activate(tfName: string): Promise<boolean> {
  const ok = await tf.setBackend(tfName);
  await tf.ready();
  return ok && tf.getBackend() === tfName;
}

export function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split('\n')[0];
}

export type { BackendAttempt };
