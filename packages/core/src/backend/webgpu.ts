import { z } from 'zod';
import { platform } from '#platform';
import { registerWebgpuKernels } from '../kernels/webgpu-matmul.js';
import type { AdapterInfo } from './adapter-info.js';
import type { BackendAttempt, BackendContext } from './backend.js';

export const webgpuOptions = z
  .object({
    /** Accept a software adapter (SwiftShader, llvmpipe) when asked for by name; `auto` never does. */
    allowSoftware: z.boolean().default(true),
  })
  .strict();

interface Adapter {
  isFallbackAdapter?: boolean;
  info?: AdapterInfo;
  requestAdapterInfo?: () => Promise<AdapterInfo>;
}

type Activate = (tfName: string) => Promise<boolean>;

/**
 * Starts TF.js's webgpu backend on the host's WebGPU: the browser's own
 * `navigator.gpu`, or in Node Dawn's (the platform provides it, see
 * platform/node/dawn.ts). A software adapter is refused when `auto` asks, or when
 * the options say so.
 */
export async function startWebgpu(o: z.output<typeof webgpuOptions>, ctx: BackendContext, activate: Activate): Promise<BackendAttempt> {
  return platform.withWebgpu(
    (adapter) => refuse(o, ctx, adapter, adapter)?.reason,
    () => useAdapter(o, ctx, activate),
  );
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
function refuse(
  o: z.output<typeof webgpuOptions>,
  ctx: BackendContext,
  adapter: Adapter | AdapterInfo,
  info: AdapterInfo,
): { ok: false; reason: string } | undefined {
  if (isSoftware(adapter, info) && (ctx.auto || !o.allowSoftware)) {
    return { ok: false, reason: `only a software adapter (${adapterName(info)}), slower than the CPU backends` };
  }
  return undefined;
}

function adapterName(info: AdapterInfo): string {
  return [info.vendor, info.architecture || info.device || info.description].filter(Boolean).join(' / ') || 'unknown adapter';
}

/** SwiftShader, llvmpipe and lavapipe emulate a GPU on the CPU. */
export function isSoftware(adapter: { isFallbackAdapter?: boolean }, info: AdapterInfo): boolean {
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software/.test(text);
}
