/**
 * Looking for a WebGPU adapter without letting Dawn talk to the user. Dawn (the
 * `webgpu` package) writes its warnings straight to the process's stderr from
 * native code: "Couldn't load Vulkan: libvulkan.so.1: ..." where there is no
 * Vulkan loader, "vkCreateInstance: Found no drivers!" where there is no driver,
 * "Vulkan shaderUniform*ArrayDynamicIndexing required" for an adapter it cannot
 * use (lavapipe), and, through Mesa's device-select layer, libwayland's
 * "XDG_RUNTIME_DIR is invalid or not set". So: look for the loader first; ask
 * for an adapter in a child process whose stderr is captured and turned into a
 * reason; and give Dawn a valid XDG_RUNTIME_DIR while it starts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { AdapterInfo } from './adapter-info.js';

/** The soname Dawn loads on Linux. */
export const VULKAN_LOADER = 'libvulkan.so.1';

/** What a probe found out about an adapter. */
export type ProbedAdapter = AdapterInfo;

export type ProbeResult = { ok: true; adapter: ProbedAdapter } | { ok: false; reason: string };

/** Where to look for the loader; each part replaceable for tests. */
export interface LoaderSearch {
  /** LD_LIBRARY_PATH's value. */
  ldLibraryPath?: string;
  /** `ldconfig -p`'s output; undefined where ldconfig is not there. */
  ldconfig?: string;
  /** The linker's built-in directories and the usual multiarch ones. */
  defaultDirs?: readonly string[];
  arch?: string;
  exists?: (path: string) => boolean;
}

const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', arm: 'arm-linux-gnueabihf', ia32: 'i386-linux-gnu' };
/** How `ldconfig -p` marks a library's ABI, per Node's process.arch. */
const LDCONFIG_ARCH: Record<string, RegExp> = { x64: /x86-64/, arm64: /AArch64/i };

function linkerDefaults(arch: string): string[] {
  const triplet = MULTIARCH[arch];
  const multi = triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`] : [];
  return [...multi, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
}

function runLdconfig(): string | undefined {
  // ldconfig lives in /sbin on most distributions, which is not on every user's PATH.
  for (const cmd of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    if (cmd.startsWith('/') && !existsSync(cmd)) continue;
    const r = spawnSync(cmd, ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    if (r.status === 0 && r.stdout) return r.stdout;
  }
  return undefined;
}

/**
 * Where the dynamic linker would find the Vulkan loader (libvulkan.so.1), or
 * undefined: LD_LIBRARY_PATH, then the linker's cache (`ldconfig -p`, the
 * entries of this process's ABI), then its default directories.
 */
export function findVulkanLoader(search: LoaderSearch = {}): string | undefined {
  const arch = search.arch ?? process.arch;
  const exists = search.exists ?? existsSync;
  const ldLibraryPath = 'ldLibraryPath' in search ? search.ldLibraryPath : process.env.LD_LIBRARY_PATH;
  for (const dir of (ldLibraryPath ?? '').split(':')) {
    if (dir && exists(join(dir, VULKAN_LOADER))) return join(dir, VULKAN_LOADER);
  }
  const cache = 'ldconfig' in search ? search.ldconfig : runLdconfig();
  const abi = LDCONFIG_ARCH[arch];
  for (const line of (cache ?? '').split('\n')) {
    // "\tlibvulkan.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libvulkan.so.1"
    const m = /^\s*(\S+) \(([^)]*)\) => (.+?)\s*$/.exec(line);
    if (!m || m[1] !== VULKAN_LOADER) continue;
    if (abi && !abi.test(m[2])) continue;
    if (exists(m[3])) return m[3];
  }
  for (const dir of search.defaultDirs ?? linkerDefaults(arch)) {
    if (exists(join(dir, VULKAN_LOADER))) return join(dir, VULKAN_LOADER);
  }
  return undefined;
}

/**
 * Why there is no adapter, from what Dawn wrote to stderr (and the child's own
 * failure, if any): one line for `tried`, naming what is missing.
 */
export function reasonFromDawnLog(stderr: string, fallback = 'no WebGPU adapter found'): string {
  const loader = /Couldn't load Vulkan: (\S+?):? /.exec(stderr);
  if (loader) return `no Vulkan loader (${loader[1]})`;
  if (/Found no drivers|VK_ERROR_INCOMPATIBLE_DRIVER/.test(stderr)) return 'no Vulkan driver (ICD) installed';
  if (/Failed to detect any valid GPUs/.test(stderr)) return 'no device for the installed Vulkan drivers';
  // Dawn's own warnings ("Warning: <what>" then " - While ..." and " at ..." lines), or the
  // Vulkan loader's ("Error: Loader Message: ..."): the first one says why.
  const said = /^(?:Warning|Error): (?:Loader Message: )?(.+)$/m.exec(stderr);
  if (said) return `${fallback} (${said[1].trim().replace(/\.$/, '')})`;
  return fallback;
}

/** Runs `fn` with XDG_RUNTIME_DIR set to a fresh private folder when it is unset or not an absolute path, then puts it back. */
export async function withRuntimeDir<T>(fn: () => Promise<T>): Promise<T> {
  const previous = process.env.XDG_RUNTIME_DIR;
  if (process.platform === 'win32' || process.platform === 'darwin' || (previous && isAbsolute(previous))) return fn();
  // libwayland (which Mesa's Vulkan device-select layer calls) complains on stderr
  // without one; an empty folder of our own (mode 0700, as the spec wants) satisfies it.
  const dir = mkdtempSync(join(tmpdir(), 'clusterflow-xdg-'));
  process.env.XDG_RUNTIME_DIR = dir;
  try {
    return await fn();
  } finally {
    if (previous === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = previous;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child: import the package, ask for an adapter, print one JSON line, exit (Dawn would keep it alive). */
const CHILD = `
const done = (o) => process.stdout.write(JSON.stringify(o) + '\\n', () => process.exit(0));
let m;
try { m = await import(process.env.CLUSTERFLOW_WEBGPU_MODULE); }
catch (e) { done({ loadError: String(e?.message ?? e).split('\\n')[0] }); }
if (m) {
  try {
    Object.assign(globalThis, m.globals);
    const a = await m.create([]).requestAdapter();
    const i = a?.info ?? {};
    done({ adapter: a ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
      isFallbackAdapter: Boolean(a.isFallbackAdapter ?? i.isFallbackAdapter) } : null });
  } catch (e) { done({ error: String(e?.message ?? e).split('\\n')[0] }); }
}
`;

/**
 * Asks Dawn for an adapter in a child process (`moduleUrl`: the resolved `webgpu`
 * package) and reports what it found, or why not with Dawn's stderr folded in.
 * Nothing the child writes reaches this process's output.
 */
export function probeAdapterInChild(moduleUrl: string, timeoutMs = 30_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, CLUSTERFLOW_WEBGPU_MODULE: moduleUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `the WebGPU probe could not start: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) {
        const how = signal === 'SIGKILL' ? `did not finish in ${timeoutMs / 1000} s` : signal ? `crashed (${signal})` : `exited with code ${code}`;
        resolve({ ok: false, reason: reasonFromDawnLog(stderr, `the WebGPU probe ${how}`) });
        return;
      }
      const out = JSON.parse(line) as { adapter?: ProbedAdapter | null; loadError?: string; error?: string };
      if (out.loadError) resolve({ ok: false, reason: `the 'webgpu' package failed to load: ${out.loadError}` });
      else if (out.adapter) resolve({ ok: true, adapter: out.adapter });
      else resolve({ ok: false, reason: reasonFromDawnLog(stderr, out.error ? `requestAdapter failed: ${out.error}` : undefined) });
    });
  });
}
