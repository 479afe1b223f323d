/**
 * Builds the browser demo (the page in demo/) into a folder and serves it:
 *
 *   npm run demo                          # build into demo/dist and serve at http://127.0.0.1:6080/
 *   tsx demo/build.ts --out <dir>         # build only
 *   tsx demo/build.ts --serve --port 0    # any free port
 *
 * esbuild bundles demo/src/main.ts for browsers (`platform: 'browser'`, so every
 * clusterflow package resolves to its browser entry and core to its browser
 * platform; `source` takes the TypeScript sources, nothing needs building first).
 * Beside the bundle: the page, its stylesheets (the live view's among them), the
 * wasm backend's binaries and the bundled Fashion-MNIST 10k split. No network.
 */
import * as esbuild from 'esbuild';
import { copyFile, cp, mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BUNDLED_FASHION_MNIST_DIR } from '@clusterflow/data';
import { pageBundleOptions, writePage } from '../packages/report/build/page-build.js';

const DEMO = fileURLToPath(new URL('./', import.meta.url));
const REPO = resolve(DEMO, '..');

export const DEFAULT_OUT = join(DEMO, 'dist');
export const DEFAULT_PORT = 6080;

/** esbuild's options for the page's bundle (the live view's page is bundled alike). */
const bundleOptions = (outDir: string) => pageBundleOptions(join(DEMO, 'src/main.ts'), join(outDir, 'app.js'));

/** Copies what the page loads beside its bundle. */
async function copyStatic(outDir: string): Promise<void> {
  await mkdir(join(outDir, 'fashion-mnist'), { recursive: true });
  // The markup the live view's page has too comes from @clusterflow/report's parts.
  await writePage(join(DEMO, 'index.html'), join(outDir, 'index.html'));
  await copyFile(join(DEMO, 'demo.css'), join(outDir, 'demo.css'));
  await copyFile(join(REPO, 'packages/bench/page/style.css'), join(outDir, 'live-view.css'));
  // setWasmPaths points the wasm backend at the page's own folder.
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of (await readdir(wasmDir)).filter((n) => n.endsWith('.wasm'))) await copyFile(join(wasmDir, f), join(outDir, f));
  // The browser's fashion-mnist dataset fetches fashion-mnist/ beside the page (its COPYRIGHT travels with it).
  await cp(BUNDLED_FASHION_MNIST_DIR, join(outDir, 'fashion-mnist'), { recursive: true });
}

/** Builds the page into `outDir`. */
export async function buildDemo(outDir = DEFAULT_OUT): Promise<void> {
  await copyStatic(outDir);
  await esbuild.build(bundleOptions(outDir));
}

/** A served build: its address, and how to stop serving. */
export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the page and serves `outDir` on loopback with esbuild's server (a
 * request rebuilds the bundle when a source changed). Port 0: any free port.
 * WebGPU needs a secure context: localhost and 127.0.0.1 are one.
 */
export async function serveDemo(opts: { outDir?: string; port?: number; host?: string } = {}): Promise<DemoServer> {
  const outDir = opts.outDir ?? DEFAULT_OUT;
  await copyStatic(outDir);
  const ctx = await esbuild.context(bundleOptions(outDir));
  await ctx.rebuild();
  const host = opts.host ?? '127.0.0.1';
  const { port } = await ctx.serve({ servedir: outDir, host, port: opts.port ?? DEFAULT_PORT });
  return { url: `http://${host}:${port}/`, close: () => ctx.dispose() };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, serve: { type: 'boolean', default: false }, port: { type: 'string' }, host: { type: 'string' } },
  });
  const outDir = resolve(values.out ?? DEFAULT_OUT);
  if (!values.serve) {
    await buildDemo(outDir);
    console.log(`built the demo into ${outDir}`);
    return;
  }
  const server = await serveDemo({ outDir, port: values.port === undefined ? undefined : Number(values.port), host: values.host });
  console.log(`clusterflow demo: ${server.url} (Ctrl-C stops)`);
  process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
