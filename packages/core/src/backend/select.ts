import { registerWasmKernels, tryRegisterNativeKernels } from '../kernels/index.js';
import { tf } from './tfjs.js';

/** The backends a run may ask for; `auto` tries the others in this order. */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = BackendName | 'auto';

export interface BackendSelection {
  /** The backend in use, as clusterflow names it. */
  name: BackendName;
  /** The TF.js backend id behind it ('tensorflow' for both native ones). */
  tfBackend: string;
  /** What was tried before it and why each was passed over. */
  tried: { name: BackendName; reason: string }[];
  /** A one-line account for logs: "backend: wasm (tried tensorflow-gpu: not installed; ...)". */
  summary: string;
  /** Extra kernels in use or why not (wasm: the native OpenBLAS path). */
  kernels?: string;
}

/** Extra setup run after a backend is ready (kernel registrations); set by `onBackendReady`. */
const readyHooks: ((name: BackendName) => void | Promise<void>)[] = [];

/** Lets packages register kernels or gradients whenever a backend is selected. */
export function onBackendReady(hook: (name: BackendName) => void | Promise<void>): void {
  readyHooks.push(hook);
}

/**
 * Selects a backend. Native TensorFlow bindings are optional dependencies that
 * often cannot install (their install step downloads libtensorflow); their
 * absence is an ordinary outcome, reported in `tried`, not an error, unless the
 * backend was asked for by name.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendSelection> {
  const candidates: readonly BackendName[] = choice === 'auto' ? BACKENDS : [choice];
  const tried: { name: BackendName; reason: string }[] = [];
  for (const name of candidates) {
    const reason = await tryBackend(name);
    if (reason === undefined) {
      for (const hook of readyHooks) await hook(name);
      // Matrix products and convolutions through OpenBLAS when @clusterflow/native is built;
      // its absence is an ordinary outcome, reported like a passed-over backend.
      const kernels = name === 'wasm' ? (await tryRegisterNativeKernels()).reason : undefined;
      const triedText = tried.map((t) => `${t.name}: ${t.reason}`).join('; ');
      const summary = `backend: ${name}` + (triedText ? ` (tried ${triedText})` : '') + (kernels ? `; kernels: ${kernels}` : '');
      return { name, tfBackend: tf.getBackend(), tried, summary, kernels };
    }
    tried.push({ name, reason });
  }
  throw new Error(
    `no usable backend for '${choice}': ` + tried.map((t) => `${t.name}: ${t.reason}`).join('; '),
  );
}

/** Makes `name` the active backend; returns why not, or undefined on success. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  try {
    switch (name) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        try {
          await import(pkg);
        } catch (err) {
          return `${pkg} ${notInstalled(err) ? 'is not installed' : `failed to load: ${firstLine(err)}`}`;
        }
        return (await activate('tensorflow')) ? undefined : `${pkg} loaded but its backend did not start`;
      }
      case 'webgpu':
        return await tryWebgpu();
      case 'wasm': {
        await import('@tensorflow/tfjs-backend-wasm');
        // Stock wasm cannot train convolutions and multiplies transposed matrices slowly.
        registerWasmKernels();
        return (await activate('wasm')) ? undefined : 'the wasm backend did not start';
      }
      case 'cpu':
        return (await activate('cpu')) ? undefined : 'the cpu backend did not start';
    }
  } catch (err) {
    return firstLine(err);
  }
}

/** WebGPU in Node comes from the `webgpu` package (Dawn); only used when an adapter exists. */
async function tryWebgpu(): Promise<string | undefined> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    let webgpu: { create: (flags: string[]) => unknown; globals: object };
    try {
      webgpu = (await import('webgpu')) as unknown as typeof webgpu;
    } catch (err) {
      return `the 'webgpu' package ${notInstalled(err) ? 'is not installed' : `failed to load: ${firstLine(err)}`}`;
    }
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
  const gpu = g.navigator!.gpu as { requestAdapter(): Promise<unknown> };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return 'no WebGPU adapter found';
  await import('@tensorflow/tfjs-backend-webgpu');
  return (await activate('webgpu')) ? undefined : 'the webgpu backend did not start';
}

async function activate(tfName: string): Promise<boolean> {
  const ok = await tf.setBackend(tfName);
  await tf.ready();
  return ok && tf.getBackend() === tfName;
}

function notInstalled(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split('\n')[0];
}
