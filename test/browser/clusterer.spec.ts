import { expect } from 'chai';
import * as esbuild from 'esbuild';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { parseAssignmentsCsv, runCli } from '@clusterflow/bench';
import { loadClusterer } from '@clusterflow/clusterer';
import { selectBackend, tf } from '@clusterflow/core';
import { loadIdx } from '@clusterflow/data';
import { findChromium, launchChromium, WEBGPU_FLAGS } from '../support/chromium.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', '..', 'packages', 'data', 'test', 'fixtures');

type Assigned = { backend: string; cluster: number[]; confidence: number[]; leaked: number };

async function cli(...argv: string[]): Promise<number> {
  const sink = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
  let err = '';
  const code = await runCli(argv, { stdout: sink, stderr: { isTTY: false, write: (s: string) => ((err += s), true) } as unknown as NodeJS.WriteStream });
  if (code !== 0) throw new Error(`clusterflow ${argv.join(' ')} exited ${code}: ${err}`);
  return code;
}

describe('an exported model in headless Chromium: loadClusterer assigns what eval did', function () {
  this.timeout(300_000);
  const executable = findChromium();
  let dir: string;
  let server: esbuild.BuildContext | undefined;
  let url: string;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;
  let expected: number[];
  let images: { data: number[]; width: number; height: number }[];
  const errors: string[] = [];

  before(async function () {
    if (!executable) {
      console.log("      (skipped: no chromium on the PATH; install Debian's chromium package or set CHROMIUM)");
      return this.skip();
    }
    await selectBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'cf-clusterer-'));
    // A tiny image run: 64 Fashion-MNIST images, an MLP with BatchNorm, CC, two epochs.
    const config = {
      name: 'fmnist64',
      backend: 'cpu',
      data: { id: 'idx', options: { images: join(FIXTURES, 'fmnist64-images-idx3-ubyte'), labels: join(FIXTURES, 'fmnist64-labels-idx1-ubyte.gz') } },
      augmentation: { id: 'identity', options: { views: 2 } },
      backbone: { id: 'mlp', options: { hidden: [32], featureDim: 16, batchNorm: true } },
      objective: [{ id: 'cc', options: { projectionDim: 8 } }],
      optimizer: { id: 'adam', options: { lr: 0.01 } },
      numClusters: 4,
      train: { epochs: 2, batchSize: 32 },
    };
    await writeFile(join(dir, 'run.json'), JSON.stringify(config));
    await cli('train', join(dir, 'run.json'), '--out', join(dir, 'out'), '--seed', '0');
    const run = join(dir, 'out', 'fmnist64-seed0');
    expected = parseAssignmentsCsv(await readFile(join(run, 'assignments.csv'), 'utf8')).cluster;
    expect(new Set(expected).size, 'the run uses more than one cluster').to.be.greaterThan(1);

    const site = join(dir, 'site');
    await cli('export', run, '--out', join(site, 'model'));
    const ds = loadIdx({ images: join(FIXTURES, 'fmnist64-images-idx3-ubyte') });
    const pixels = ds.data as Uint8Array;
    images = Array.from({ length: ds.size }, (_, i) => ({ data: Array.from(pixels.subarray(i * 784, (i + 1) * 784)), width: 28, height: 28 }));

    // The page: its bundle (every package's browser entry), the wasm binaries, the model folder.
    await copyFile(join(HERE, '..', 'fixtures', 'clusterer-page', 'index.html'), join(site, 'index.html'));
    const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    for (const f of (await readdir(wasmDir)).filter((n) => n.endsWith('.wasm'))) await copyFile(join(wasmDir, f), join(site, f));
    server = await esbuild.context({
      entryPoints: [join(HERE, '..', 'fixtures', 'clusterer-page', 'main.ts')],
      outfile: join(site, 'app.js'),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      conditions: ['source'],
      logLevel: 'warning',
    });
    await server.rebuild();
    const { port } = await server.serve({ servedir: site, host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${port}/`;
    browser = await launchChromium(executable, WEBGPU_FLAGS);
    page = await browser.context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url);
    await page.waitForSelector('body[data-ready=yes]', { state: 'attached' });
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => expect(errors, 'errors thrown in the page').to.deep.equal([]));

  it('in Node, the exported folder assigns the pixels (0-255 tensor) as eval did', async () => {
    const clusterer = await loadClusterer(join(dir, 'site', 'model'));
    const x = tf.tensor4d(Float32Array.from(images.flatMap((im) => im.data)), [images.length, 28, 28, 1]);
    const p = await clusterer.predict(x);
    x.dispose();
    clusterer.dispose();
    expect(Array.from(p.cluster)).to.deep.equal(expected);
  });

  for (const backend of ['wasm', 'webgpu']) {
    it(`in the page on ${backend}, the folder served on loopback assigns the same clusters, leaking no tensor`, async function () {
      let got: Assigned;
      try {
        got = await page.evaluate(
          ([b, u, ims]) =>
            (window as unknown as { clustererTest: { assign(b: string, u: string, i: unknown): Promise<Assigned> } }).clustererTest.assign(b, u, ims),
          [backend, `${url}model/`, images] as const,
        );
      } catch (err) {
        if (backend === 'webgpu' && /webgpu/i.test((err as Error).message)) {
          console.log(`      (skipped: ${(err as Error).message.split('\n')[0]})`);
          return this.skip();
        }
        throw err;
      }
      expect(got.backend).to.equal(backend);
      expect(got.leaked).to.equal(0);
      expect(got.cluster).to.deep.equal(expected);
      for (const c of got.confidence) expect(c).to.be.within(1 / 4, 1);
    });
  }
});
