import type { AdapterInfo } from '../../backend/adapter-info.js';
import type { BackendAttempt } from '../../backend/backend.js';
import { findVulkanLoader, probeAdapterInChild, VULKAN_LOADER, withRuntimeDir } from '../../backend/webgpu-probe.js';

/**
 * WebGPU in Node comes from the `webgpu` package (Dawn). Its globals and
 * `navigator.gpu` must exist before `@tensorflow/tfjs-backend-webgpu` is imported,
 * which registers the backend only if `navigator.gpu` is there then.
 *
 * Dawn prints its warnings to stderr from native code (no Vulkan loader, no
 * driver, an adapter it cannot use), so it is not started in this process until
 * it is known to give an adapter the caller will use: first the Vulkan loader is
 * looked for (Linux), then a child process asks Dawn for an adapter, its stderr
 * folded into the reason (see webgpu-probe.ts). `use` runs with a valid
 * XDG_RUNTIME_DIR, as Dawn's start does.
 */
export async function withDawn(refusal: (adapter: AdapterInfo) => string | undefined, use: () => Promise<BackendAttempt>): Promise<BackendAttempt> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  // A caller that set WebGPU up itself, or an earlier call of ours.
  if (g.navigator?.gpu) return withRuntimeDir(use);

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
    const refused = refusal(probe.adapter);
    if (refused) return { ok: false, reason: refused };

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
    return use();
  });
}

function loadFailure(err: unknown): string {
  const code = (err as { code?: string }).code;
  const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  return `the 'webgpu' package ${missing ? 'is not installed' : `failed to load: ${String((err as Error).message).split('\n')[0]}`}`;
}
