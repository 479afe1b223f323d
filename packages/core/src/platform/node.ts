import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withDawn } from './node/dawn.js';
import { checkpointFiles } from './node/checkpoint-files.js';
import type { Platform } from './platform.js';

/** Core in Node: files, the working directory, native packages, Dawn for WebGPU. */
export const platform: Platform = {
  name: 'node',
  defaultBaseDir: () => process.cwd(),
  resolvePath: (base, path) => resolve(base, path),
  joinPath: (dir, name) => join(dir, name),
  checkpoints: checkpointFiles,
  readText: (path) => readFile(path, 'utf8'),
  // Files are imported by URL (Windows paths are no specifiers); packages by name.
  pluginSpecifier: (spec, baseDir) => (spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(baseDir, spec)).href : spec),
  importNodeOnly: (specifier) => import(specifier),
  withWebgpu: withDawn,
  // setImmediate lets I/O (a Ctrl-C, the live view's requests) in without a timer's delay.
  yieldToEventLoop: () => new Promise<void>((r) => setImmediate(r)),
};
