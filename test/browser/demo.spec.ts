import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { evaluateCheckpoint, selectBackend } from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';
import { loadImageFolder } from '@clusterflow/data';
import { serveDemo, type DemoServer } from '../../demo/build.js';
import type { PageState } from '../../demo/src/page-state.js';
import { findChromium, launchChromium, WEBGPU_FLAGS } from '../support/chromium.js';

/** Where the screenshot goes (the README's picture of the page); $CLUSTERFLOW_SCREENSHOTS moves it. */
const SCREENSHOT = join(process.env.CLUSTERFLOW_SCREENSHOTS ?? join(tmpdir(), 'clusterflow-screenshots'), 'browser-demo.png');

/** What the form is set to before a run: the page's own controls, as a user sets them. */
interface Form {
  backend: string;
  objectives: string[];
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  data?: string;
  /** Fashion-MNIST's first images only ('' for all). */
  limit?: string;
}

async function fill(page: Page, f: Form): Promise<void> {
  await page.selectOption('#backend', f.backend);
  for (const box of await page.locator('input[name=objective]').all()) {
    await box.setChecked(f.objectives.includes((await box.getAttribute('value')) ?? ''));
  }
  await page.fill('input[name=epochs]', String(f.epochs));
  await page.fill('input[name=stepsPerEpoch]', String(f.stepsPerEpoch));
  await page.fill('input[name=batchSize]', String(f.batchSize));
  await page.check(`input[name=data][value="${f.data ?? 'fashion-mnist'}"]`);
  await page.selectOption('select[name=limit]', f.limit ?? '');
}

const state = (page: Page): Promise<PageState> => page.evaluate(() => (window as unknown as { clusterflowDemo: { state: PageState } }).clusterflowDemo.state);

/** Waits for the run in progress to end (done, stopped or failed) and returns the page's state then. */
async function ended(page: Page, timeout: number): Promise<PageState> {
  await page.waitForFunction(
    () => {
      const s = (window as unknown as { clusterflowDemo: { state: PageState } }).clusterflowDemo.state.status;
      return s === 'done' || s === 'stopped' || s === 'failed';
    },
    null,
    { timeout, polling: 200 },
  );
  const s = await state(page);
  expect(s.error, 'the run failed').to.equal(undefined);
  return s;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Finite loss parts that fall over the run, and tf.memory() the same after every step but the first (Adam's slots appear there). */
function expectHealthyRun(s: PageState, steps: number): void {
  expect(s.steps.map((x) => x.step)).to.deep.equal([...Array(steps).keys()]);
  for (const x of s.steps) for (const [part, v] of Object.entries(x.loss)) expect(Number.isFinite(v), `step ${x.step}: ${part} = ${v}`).to.equal(true);
  const total = s.steps.map((x) => x.loss.total);
  const half = Math.floor(steps / 2);
  expect(total.at(-1), `total loss per step: ${total.join(' ')}`).to.be.below(total[0]);
  expect(mean(total.slice(-half)), `total loss per step: ${total.join(' ')}`).to.be.below(mean(total.slice(0, half)));
  const memory = s.steps.map((x) => x.memory);
  expect(memory.every(Boolean), 'every step records tf.memory()').to.equal(true);
  for (const m of memory.slice(2)) expect(m, `tf.memory() per step: ${JSON.stringify(memory)}`).to.deep.equal(memory[1]);
}

describe('the browser demo: the objectives train in a tab (headless Chromium)', function () {
  // SwiftShader runs WebGPU on the CPU: SeCu's ten heads take seconds a step there.
  this.timeout(240_000);
  const executable = findChromium();
  let out: string;
  let server: DemoServer;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;
  const errors: string[] = [];

  before(async function () {
    if (!executable) {
      console.log("      (skipped: no chromium on the PATH; install Debian's chromium package or set CHROMIUM)");
      return this.skip();
    }
    out = await mkdtemp(join(tmpdir(), 'cf-demo-'));
    // The page as `npm run demo` builds and serves it, on a port of its own.
    server = await serveDemo({ outDir: out, port: 0 });
    browser = await launchChromium(executable, WEBGPU_FLAGS);
    page = await browser.context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { clusterflowDemo?: { state: PageState } }).clusterflowDemo?.state.webgpu);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  afterEach(() => expect(errors, 'errors thrown in the page').to.deep.equal([]));

  it('is served on loopback (a secure context, which WebGPU needs)', () => {
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  for (const backend of ['webgpu', 'wasm']) {
    for (const objective of ['cc', 'secu']) {
      it(`trains ${objective} on ${backend}: the loss is finite and falls, no tensor is left behind between steps, the page says which backend`, async function () {
        if (backend === 'webgpu' && /^no WebGPU|without an adapter/.test((await state(page)).webgpu ?? '')) {
          console.log(`      (skipped: ${(await state(page)).webgpu})`);
          return this.skip();
        }
        const steps = 5;
        // SwiftShader evaluates 1,000 images in a tenth of the time of the whole split.
        await fill(page, { backend, objectives: [objective], epochs: 1, stepsPerEpoch: steps, batchSize: 64, limit: backend === 'webgpu' ? '1000' : '' });
        await page.click('#start');
        const s = await ended(page, 200_000);
        expect(s.status).to.equal('done');
        expect(s.run!.backend).to.equal(backend);
        expect((s.run!.config.objective ?? []).map((o) => o.id)).to.deep.equal([objective]);
        expectHealthyRun(s, steps);
        // Evaluated at the end: metrics, cluster sizes and the samples of each cluster.
        expect(s.run!.numSamples).to.equal(backend === 'webgpu' ? 1000 : 10000);
        expect(s.evaluation!.metrics.acc).to.be.within(0.1, 1);
        await page.evaluate(() => (window as unknown as { clusterflowDemo: { drawn(): Promise<void> } }).clusterflowDemo.drawn());
        expect(await page.locator('#backend-used').getAttribute('data-backend')).to.equal(backend);
        expect(await page.locator('#backend-used').textContent()).to.contain(`backend: ${backend}`);
        for (const chart of ['loss', 'sizes', 'metrics', 'throughput', 'confusion']) {
          expect(await page.locator(`#chart-${chart} svg`).count(), chart).to.equal(1);
        }
        expect(await page.locator('#samples-canvas').evaluate((c: HTMLCanvasElement) => c.width * c.height)).to.be.above(0);
      });
    }
  }

  it('stops at a step boundary and continues from its checkpoint in IndexedDB exactly as a run that never stopped', async () => {
    const form = { backend: 'wasm', objectives: ['cc'], epochs: 2, stepsPerEpoch: 40, batchSize: 64 };
    await fill(page, form);
    await page.click('#start');
    const straight = await ended(page, 120_000);
    expect(straight.status).to.equal('done');

    await page.click('#start');
    await page.waitForFunction(() => (window as unknown as { clusterflowDemo: { state: PageState } }).clusterflowDemo.state.steps.length >= 5);
    await page.click('#stop');
    const stopped = await ended(page, 60_000);
    expect(stopped.status).to.equal('stopped');
    const at = stopped.steps.length;
    expect(at, 'stopped before the end').to.be.below(80);
    expect(stopped.checkpoint).to.match(/\/checkpoints\/last\.ckpt$/);
    expect(await page.locator('#continue').isEnabled()).to.equal(true);

    await page.click('#continue');
    const continued = await ended(page, 120_000);
    expect(continued.status).to.equal('done');
    expect(continued.run!.resumedFrom).to.deep.include({ step: at, path: stopped.checkpoint });
    // Weights, optimizer, BatchNorm statistics, RNG and the epoch's order came back from IndexedDB:
    // every step's loss is the straight run's.
    expect(continued.steps.map((x) => x.loss)).to.deep.equal(straight.steps.map((x) => x.loss));
    expect(continued.evaluation!.metrics).to.deep.equal(straight.evaluation!.metrics);
  });

  it('saves a screenshot', async () => {
    await page.evaluate(() => (window as unknown as { clusterflowDemo: { drawn(): Promise<void> } }).clusterflowDemo.drawn());
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`      screenshot: ${SCREENSHOT}`);
    expect((await readFile(SCREENSHOT)).subarray(1, 4).toString()).to.equal('PNG');
  });

  it('offers the checkpoint as a download, which clusterflow eval reads in Node', async () => {
    const s = await state(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const file = join(out, 'downloaded.ckpt');
    await download.saveAs(file);
    await selectBackend('cpu');
    const result = await evaluateCheckpoint(file, { registry: defaultRegistry(), backend: 'cpu' });
    expect(result.step).to.equal(s.steps.length);
    // The same model read out in Node on cpu as in the page on wasm: a near-tie may flip a sample.
    for (const m of ['acc', 'nmi', 'ari']) expect(result.metrics[m], m).to.be.closeTo(s.evaluation!.metrics[m], 0.002);
  });

  it('reads the images a user picks (labels from their folders, as image-folder reads them) and trains on them', async () => {
    // Two classes of 28 x 28 gray pictures: a bright bar on the left, or on the right.
    const root = join(out, 'shapes');
    for (const [label, x0] of [
      ['left', 2],
      ['right', 18],
    ] as const) {
      await mkdir(join(root, label), { recursive: true });
      for (let i = 0; i < 16; i++) {
        const png = new PNG({ width: 28, height: 28 });
        for (let p = 0; p < 28 * 28; p++) {
          const [x, y] = [p % 28, Math.floor(p / 28)];
          const v = x >= x0 && x < x0 + 8 && y >= 4 + (i % 8) && y < 16 + (i % 8) ? 230 - i : 10 + ((x * 7 + y * 3 + i) % 20);
          png.data.set([v, v, v, 255], p * 4);
        }
        await writeFile(join(root, label, `${String(i).padStart(2, '0')}.png`), PNG.sync.write(png));
      }
    }
    await page.selectOption('select[name=imageSize]', '28');
    await page.locator('#pick-folder').setInputFiles(root);
    await page.waitForFunction(() => (window as unknown as { clusterflowDemo: { state: PageState } }).clusterflowDemo.state.images !== undefined);
    const picked = await page.evaluate(async () => {
      const { registry } = (
        window as unknown as {
          clusterflowDemo: {
            registry: {
              get(
                kind: string,
                id: string,
              ): { create(o: object, c: object): Promise<{ data: Uint8Array; labels?: Int32Array; sampleShape: number[]; classNames?: string[] }> };
            };
          };
        }
      ).clusterflowDemo;
      const ds = await registry.get('dataset', 'image-files').create({}, { baseDir: document.baseURI });
      return { data: Array.from(ds.data), labels: Array.from(ds.labels ?? []), shape: ds.sampleShape, classNames: ds.classNames };
    });
    const reference = await loadImageFolder(root);
    expect(picked.shape).to.deep.equal([...reference.sampleShape]);
    expect(picked.classNames).to.deep.equal([...reference.classNames!]);
    expect(picked.labels).to.deep.equal(Array.from(reference.labels!));
    expect(picked.data).to.deep.equal(Array.from(reference.data));

    await page.selectOption('#backbone', 'mlp-small');
    await fill(page, { backend: 'wasm', objectives: ['cc'], epochs: 1, stepsPerEpoch: 4, batchSize: 8, data: 'image-files' });
    await page.click('#start');
    const s = await ended(page, 60_000);
    expect(s.status).to.equal('done');
    expect(s.run!.config.data.id).to.equal('image-files');
    expect(s.run!.numSamples).to.equal(32);
    for (const x of s.steps) expect(Number.isFinite(x.loss.total)).to.equal(true);
    expect(s.evaluation!.metrics.acc).to.be.within(0.5, 1);
  });
});
