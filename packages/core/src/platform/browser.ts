import { NodeOnlyError } from '../errors.js';
import { checkpointIndexedDb } from './browser/checkpoint-indexeddb.js';
import type { Platform } from './platform.js';

/** Core in a browser (or a worker): addresses instead of paths, IndexedDB, the browser's own WebGPU. */
export const platform: Platform = {
  name: 'browser',
  defaultBaseDir: () => globalThis.document?.baseURI ?? globalThis.location.href,
  // The URL class resolves a relative address against the page's, as links do.
  resolvePath: (base, path) => new URL(path, base).href,
  joinPath: (dir, name) => new URL(name, dir.endsWith('/') ? dir : `${dir}/`).href,
  checkpoints: checkpointIndexedDb,
  async readText(path) {
    const res = await fetch(path);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${res.statusText}`);
    return res.text();
  },
  // A bare name stays bare (an import map may resolve it); anything else is an address.
  pluginSpecifier: (spec, baseDir) => (/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(spec) ? new URL(spec, baseDir).href : spec),
  async importNodeOnly(specifier) {
    throw new NodeOnlyError(`${specifier} needs Node.js: it cannot load in a browser`);
  },
  async withWebgpu(_refusal, use) {
    if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
      return {
        ok: false,
        reason: 'this browser has no WebGPU (no navigator.gpu: an older browser, WebGPU turned off, or a page not served over https or from localhost)',
      };
    }
    return use();
  },
  // A message to a channel of our own runs before timers' 4 ms clamp would let a setTimeout(0) run.
  yieldToEventLoop: () =>
    new Promise<void>((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(undefined);
    }),
};
