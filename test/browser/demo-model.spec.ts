import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { defaultRegistry } from '@clusterflow/bench';
import { loadClusterer } from '@clusterflow/clusterer';
import { buildRun, disposeCheckpoint, evaluateCheckpoint, parseRunConfig, readCheckpoint, resolveRunConfig, selectBackend } from '@clusterflow/core';
import { serveDemo, type DemoServer } from '../../demo/build.js';
import type { PageState } from '../../demo/src/page-state.js';
import { findChromium, launchChromium } from '../support/chromium.js';

const state = (page: Page): Promise<PageState> => page.evaluate(() => (window as unknown as { clusterflowDemo: { state: PageState } }).clusterflowDemo.state);

describe('the browser demo downloads the model it trained, and loadClusterer in Node assigns what eval does', function () {
  this.timeout(240_000);
  const executable = findChromium();
  let out: string;
  let server: DemoServer | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;

  before(async function () {
    if (!executable) {
      console.log("      (skipped: no chromium on the PATH; install Debian's chromium package or set CHROMIUM)");
      return this.skip();
    }
    out = await mkdtemp(join(tmpdir(), 'cf-demo-model-'));
    server = await serveDemo({ outDir: join(out, 'site'), port: 0 });
    browser = await launchChromium(executable);
    page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { clusterflowDemo?: { state: PageState } }).clusterflowDemo?.state.webgpu);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('trains CC for a few steps on wasm, then "download model" gives model.json and its shards', async () => {
    await page.selectOption('#backend', 'wasm');
    for (const box of await page.locator('input[name=objective]').all()) await box.setChecked((await box.getAttribute('value')) === 'cc');
    await page.fill('input[name=epochs]', '1');
    await page.fill('input[name=stepsPerEpoch]', '3');
    await page.fill('input[name=batchSize]', '64');
    await page.check('input[name=data][value="fashion-mnist"]');
    await page.selectOption('select[name=limit]', '1000');
    await page.click('#start');
    await page.waitForFunction(() => (window as unknown as { clusterflowDemo: { state: PageState } }).clusterflowDemo.state.status === 'done', null, {
      timeout: 200_000,
      polling: 200,
    });

    const folder = join(out, 'model');
    await mkdir(folder);
    const downloads: Download[] = [];
    page.on('download', (d) => downloads.push(d));
    const [ckpt] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    await ckpt.saveAs(join(out, 'run.ckpt'));
    downloads.length = 0;
    await page.click('#download-model');
    const deadline = Date.now() + 30_000;
    while (!downloads.some((d) => d.suggestedFilename() === 'model.json') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const d of downloads) await d.saveAs(join(folder, d.suggestedFilename()));
    const names = (await readdir(folder)).sort();
    expect(names).to.include('model.json');
    expect(names.filter((n) => n.endsWith('.bin')).length).to.be.greaterThan(0);
    expect((await state(page)).error).to.equal(undefined);

    // In Node on cpu: the downloaded folder assigns the run's data as eval of the downloaded checkpoint does.
    await selectBackend('cpu');
    const registry = defaultRegistry();
    const evaluation = await evaluateCheckpoint(join(out, 'run.ckpt'), { registry, backend: 'cpu' });
    const ck = await readCheckpoint(join(out, 'run.ckpt'));
    const cfg = resolveRunConfig(parseRunConfig(ck.meta.config), registry);
    disposeCheckpoint(ck);
    const run = await buildRun(cfg, registry, process.cwd());
    run.objective.dispose();
    run.backbone.dispose();
    const n = run.dataset.size;
    const x = run.dataset.batch(Int32Array.from({ length: n }, (_, i) => i));
    const clusterer = await loadClusterer(folder);
    const p = await clusterer.predict(x, { scaled: true, batchSize: cfg.eval.batchSize });
    x.dispose();
    clusterer.dispose();
    const expected = Array.from(evaluation.readouts[evaluation.mainReadout]);
    expect(new Set(expected).size, 'the run uses more than one cluster').to.be.greaterThan(1);
    expect(Array.from(p.cluster)).to.deep.equal(expected);
  });
});
