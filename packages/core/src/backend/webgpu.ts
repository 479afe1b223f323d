import { z } from 'zod';
import { registerWebgpuKernels } from '../kernels/webgpu-matmul.js';
import type { BackendAttempt, BackendContext } from './backend.js';
import { findVulkanLoader, probeAdapterInChild, VULKAN_LOADER, withRuntimeDir, type ProbedAdapter } from './webgpu-probe.js';

export const webgpuOptions = z
  .object({
    /** Accept a software adapter (SwiftShader, llvmpipe) when asked for by name; `auto` never does. */
    allowSoftware: z.boolean().default(true),
  })
  .strict();

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface Adapter {
  isFallbackAdapter?: boolean;
  info?: AdapterInfo;
  requestAdapterInfo?: () => Promise<AdapterInfo>;
}

type Activate = (tfName: string) => Promise<boolean>;

/**
 * WebGPU in Node comes from the `webgpu` package (Dawn). Its globals and
 * `navigator.gpu` must exist before `@tensorflow/tfjs-backend-webgpu` is imported,
 * which registers the backend only if `navigator.gpu` is there then.
 *
 * Dawn prints its warnings to stderr from native code (no Vulkan loader, no
 * driver, an adapter it cannot use), so it is not started in this process until
 * it is known to give an adapter this call will use: first the Vulkan loader is
 * looked for (Linux), then a child process asks Dawn for an adapter, its stderr
 * folded into the reason (see webgpu-probe.ts).
 */
export async function startWebgpu(o: z.output<typeof webgpuOptions>, ctx: BackendContext, activate: Activate): Promise<BackendAttempt> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  // A browser, a caller that set WebGPU up itself, or an earlier call of ours.
  if (g.navigator?.gpu) return withRuntimeDir(() => useAdapter(o, ctx, activate));

  let moduleUrl: string;
  try {
    moduleUrl = import.meta.resolve('webgpu');
  } catch (err) {
    return { ok: false, reason: loadFailure(err) };
  }
  // Dawn's only backend on Linux is Vulkan, and without the loader it only says so on stderr.
  if (process.platform === 'linux' && !findVulkanLoader()) return { ok: false, reason: `no Vulkan loader (${VULKAN_LOADER})` };

  return withRuntimeDir(async () => {
    const probe = await probeAdapterInChild(moduleUrl);
    if (!probe.ok) return { ok: false, reason: probe.reason };
    const refused = refuse(o, ctx, probe.adapter, probe.adapter);
    if (refused) return refused;

    let webgpu: { create: (flags: string[]) => unknown; globals: object };
    try {
      webgpu = (await import('webgpu')) as unknown as typeof webgpu;
    } catch (err) {
      return { ok: false, reason: loadFailure(err) };
    }
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    return useAdapter(o, ctx, activate);
  });
}

/** With `navigator.gpu` in place: take its adapter (unless refused) and start TF.js's webgpu backend on it. */
async function useAdapter(o: z.output<typeof webgpuOptions>, ctx: BackendContext, activate: Activate): Promise<BackendAttempt> {
  const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator!.gpu as { requestAdapter(): Promise<Adapter | null> };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter found' };
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
  const refused = refuse(o, ctx, adapter, info);
  if (refused) return refused;
  await import('@tensorflow/tfjs-backend-webgpu');
  // Kernels of tfjs-backend-webgpu 4.22 that are wrong for our models, corrected.
  registerWebgpuKernels();
  if (!(await activate('webgpu'))) return { ok: false, reason: 'the webgpu backend did not start' };
  const name = adapterName(info);
  return { ok: true, tfBackend: 'webgpu', note: isSoftware(adapter, info) ? `software adapter ${name}: correct but far slower than a GPU` : `adapter ${name}` };
}

/** `auto` never takes a software adapter, nor does a config that says allowSoftware: false. */
function refuse(o: z.output<typeof webgpuOptions>, ctx: BackendContext, adapter: Adapter | ProbedAdapter, info: AdapterInfo): BackendAttempt | undefined {
  if (isSoftware(adapter, info) && (ctx.auto || !o.allowSoftware)) {
    return { ok: false, reason: `only a software adapter (${adapterName(info)}), slower than the CPU backends` };
  }
  return undefined;
}

function adapterName(info: AdapterInfo): string {
  return [info.vendor, info.architecture || info.device || info.description].filter(Boolean).join(' / ') || 'unknown adapter';
}

function loadFailure(err: unknown): string {
  const code = (err as { code?: string }).code;
  const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return `the 'webgpu' package ${missing ? 'is not installed' : `failed to load: ${String((err as Error).message).split('\n')[0]}`}`;
}

/** SwiftShader, llvmpipe and lavapipe emulate a GPU on the CPU. */
export function isSoftware(adapter: { isFallbackAdapter?: boolean }, info: AdapterInfo): boolean {
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software/.test(text);
}
