import { z } from 'zod';
import type { BackendAttempt, BackendContext } from './backend.js';

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
}

interface Adapter {
  isFallbackAdapter?: boolean;
  info?: AdapterInfo;
  requestAdapterInfo?: () => Promise<AdapterInfo>;
}

/**
 * WebGPU in Node comes from the `webgpu` package (Dawn). Its globals and
 * `navigator.gpu` must exist before `@tensorflow/tfjs-backend-webgpu` is imported,
 * which registers the backend only if `navigator.gpu` is there then.
 */
export async function startWebgpu(
  o: z.output<typeof webgpuOptions>,
  ctx: BackendContext,
  activate: (tfName: string) => Promise<boolean>,
): Promise<BackendAttempt> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    let webgpu: { create: (flags: string[]) => unknown; globals: object };
    try {
      webgpu = (await import('webgpu')) as unknown as typeof webgpu;
    } catch (err) {
      const code = (err as { code?: string }).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
      return { ok: false, reason: `the 'webgpu' package ${missing ? 'is not installed' : `failed to load: ${String((err as Error).message).split('\n')[0]}`}` };
    }
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
  const gpu = g.navigator!.gpu as { requestAdapter(): Promise<Adapter | null> };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter found' };
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
  const name = [info.vendor, info.architecture || info.device || info.description].filter(Boolean).join(' / ') || 'unknown adapter';
  const software = isSoftware(adapter, info);
  if (software && (ctx.auto || !o.allowSoftware)) {
    return { ok: false, reason: `only a software adapter (${name}), slower than the CPU backends` };
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await activate('webgpu'))) return { ok: false, reason: 'the webgpu backend did not start' };
  return { ok: true, tfBackend: 'webgpu', note: software ? `software adapter ${name}: correct but far slower than a GPU` : `adapter ${name}` };
}

/** SwiftShader, llvmpipe and lavapipe emulate a GPU on the CPU. */
export function isSoftware(adapter: Adapter, info: AdapterInfo): boolean {
  if (adapter.isFallbackAdapter) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software/.test(text);
}
