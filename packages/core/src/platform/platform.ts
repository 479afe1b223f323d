import type { AdapterInfo } from '../backend/adapter-info.js';
import type { BackendAttempt } from '../backend/backend.js';
import type { CheckpointStore } from './checkpoint-store.js';

/**
 * What core needs of its host that Node and a browser provide differently. Core
 * imports it as `#platform`, which package.json maps to platform/node.ts or, under
 * the `browser` condition (esbuild's platform=browser, any browser bundler), to
 * platform/browser.ts: a browser bundle never sees node:fs, node:path or the
 * native addon.
 */
export interface Platform {
  /** 'node' or 'browser', for messages. */
  readonly name: string;
  /** What relative paths resolve against when the caller names no folder: the working directory, or the page's address. */
  defaultBaseDir(): string;
  /** `path` against the folder `base`; absolute paths (and, in a browser, full addresses) stay as they are. */
  resolvePath(base: string, path: string): string;
  /** The file `name` in the folder `dir` (a resolved one). */
  joinPath(dir: string, name: string): string;
  /** Where checkpoints are written and read. */
  readonly checkpoints: CheckpointStore;
  /** A text file (a config): read from disk, or fetched in a browser. */
  readText(path: string): Promise<string>;
  /** What `import()` loads the plugin named `spec` by (a package name, a file or an address). */
  pluginSpecifier(spec: string, baseDir: string): string;
  /**
   * Imports a package only Node can load (TensorFlow's C bindings, the OpenBLAS
   * addon). A browser rejects with a `NodeOnlyError` rather than try.
   */
  importNodeOnly(specifier: string): Promise<unknown>;
  /**
   * Runs `use` once `navigator.gpu` exists. A browser has it or not; Node gets it
   * from Dawn, started only after a probe found an adapter that `refusal` does not
   * refuse (it returns the reason to refuse, or undefined).
   */
  withWebgpu(refusal: (adapter: AdapterInfo) => string | undefined, use: () => Promise<BackendAttempt>): Promise<BackendAttempt>;
  /** Lets timers, I/O and a page's events run between training steps. */
  yieldToEventLoop(): Promise<void>;
}
