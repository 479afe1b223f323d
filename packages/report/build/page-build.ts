/**
 * What the builds of the two pages that draw with @clusterflow/report/page share
 * (the browser demo, demo/build.ts; the live view, packages/bench/page/build.ts):
 * esbuild's options for a page's bundle, and the page's HTML with the markup both
 * have in common put in. Build time only, in this repository: not part of the
 * published package.
 */
import type { BuildOptions } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared pieces of markup: `<!-- part: <name> -->` in a page stands for `<name>.html` here. */
const PARTS_DIR = fileURLToPath(new URL('../src/page/', import.meta.url));

/**
 * A browser bundle of `entry` at `outfile`: ES modules, every clusterflow package
 * from its TypeScript sources (`source`), minified, with a linked source map.
 */
export function pageBundleOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['source'],
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  };
}

/** Writes the page `from` to `to`, each `<!-- part: <name> -->` line replaced by that part, indented as the line was. */
export async function writePage(from: string, to: string): Promise<void> {
  const html = await readFile(from, 'utf8');
  const parts = new Map<string, string>();
  for (const [, , name] of html.matchAll(/^([ \t]*)<!-- part: ([\w-]+) -->$/gm)) {
    try {
      parts.set(name, await readFile(join(PARTS_DIR, `${name}.html`), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new Error(`${from}: no part '${name}' (the parts are the .html files of packages/report/src/page/)`);
    }
  }
  const out = html.replace(/^([ \t]*)<!-- part: ([\w-]+) -->$/gm, (_, indent: string, name: string) =>
    parts
      .get(name)!
      .trimEnd()
      .split('\n')
      .map((line) => indent + line)
      .join('\n'),
  );
  await writeFile(to, out);
}
