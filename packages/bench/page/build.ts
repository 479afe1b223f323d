/**
 * Builds the live view's page into dist/page, the folder `clusterflow serve`
 * serves (`npm run build` runs it; `tsx packages/bench/page/build.ts` alone too):
 * esbuild bundles src/main.ts for browsers as the demo's build does (the
 * clusterflow packages from their TypeScript sources); index.html, with the
 * markup it shares with the demo put in, and style.css go beside it. vega,
 * vega-lite and vega-embed are not in the bundle: the server sends them from
 * node_modules (/vendor/).
 */
import * as esbuild from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageBundleOptions, writePage } from '../../report/build/page-build.js';

const PAGE = fileURLToPath(new URL('./', import.meta.url));

/** Where the server looks for the page (packages/bench/dist/page). */
export const PAGE_OUT = resolve(PAGE, '../dist/page');

/** Builds the page into `outDir`. */
export async function buildPage(outDir = PAGE_OUT): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writePage(join(PAGE, 'index.html'), join(outDir, 'index.html'));
  await copyFile(join(PAGE, 'style.css'), join(outDir, 'style.css'));
  await esbuild.build(pageBundleOptions(join(PAGE, 'src/main.ts'), join(outDir, 'app.js')));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildPage();
