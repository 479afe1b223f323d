import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startLiveView, type BenchResult, type LiveView, type RunResult } from '@clusterflow/bench';
import { findChromium, launchChromium } from '../support/chromium.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Where the screenshot goes (the README's picture of the live view); $CLUSTERFLOW_SCREENSHOTS moves it. */
const SCREENSHOT = join(process.env.CLUSTERFLOW_SCREENSHOTS ?? join(tmpdir(), 'clusterflow-screenshots'), 'live-view.png');

// 240 logged steps and an evaluation each epoch: well over 10 s of training on 2 cores
// (the page redraws once a second), long enough to watch the curves grow after it has loaded.
const BENCH = `
name: live
defaults:
  backend: wasm
  data: { id: fashion-mnist }
  augmentation: { id: multi-view }
  backbone: { id: mlp, options: { hidden: [500, 500], featureDim: 32 } }
  optimizer: { id: adam, options: { lr: 0.001 } }
  train: { epochs: 8, batchSize: 128, maxStepsPerEpoch: 30, logEvery: 1 }
  eval: { every: 1 }
runs:
  - name: cc
    objective: [{ id: cc }]
`;

interface Sample {
  status: string | undefined;
  /** Steps on the loss chart (each has a point per loss part). */
  points: number;
}

/** The steps on the loss chart and the run's status, as the page has them now. */
const sample = (page: Page): Promise<Sample> =>
  page.evaluate(() => {
    type Page = { views: Record<string, { data(name: string): { step: number }[] }>; runs: { id: string; status: string }[] };
    const cf = (window as unknown as { clusterflow: Page }).clusterflow;
    const rows = cf.views.loss?.data('steps') ?? [];
    return { status: cf.runs.find((r) => r.id === 'cc-seed0')?.status, points: new Set(rows.map((r) => r.step)).size };
  });

describe('clusterflow bench --serve: the live view in a real browser', function () {
  this.timeout(180_000);
  const executable = findChromium();
  let dir: string;
  let cli: ChildProcess;
  let output = '';
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;
  let url: string;
  const seen: Sample[] = [];

  before(async function () {
    if (!executable) {
      console.log("      (skipped: no chromium on the PATH; install Debian's chromium package or set CHROMIUM)");
      return this.skip();
    }
    dir = await mkdtemp(join(tmpdir(), 'cf-live-'));
    await writeFile(join(dir, 'live.yaml'), BENCH);
    // The real command line, as a user runs it, on a port of its own.
    cli = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import=tsx',
        join(REPO, 'packages/bench/src/main.ts'),
        'bench',
        join(dir, 'live.yaml'),
        '--out',
        join(dir, 'out'),
        '--serve',
        '--port',
        '0',
      ],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cli.stdout!.on('data', (d) => (output += d));
    cli.stderr!.on('data', (d) => (output += d));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no live view address after 60 s:\n${output}`)), 60_000);
      cli.stdout!.on('data', () => {
        const m = /live view: (http:\/\/\S+)/.exec(output);
        if (m) (clearTimeout(timer), resolve(m[1]));
      });
      cli.on('exit', (code) => reject(new Error(`clusterflow exited with ${code} before serving:\n${output}`)));
    });
    browser = await launchChromium(executable);
    page = await browser.context.newPage();
    await page.goto(url);
  });

  after(async () => {
    await browser?.close();
    if (cli && cli.exitCode === null) {
      cli.kill('SIGINT');
      await once(cli, 'exit');
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('binds to loopback', () => {
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('lists the run', async () => {
    const row = page.locator('#runs tbody tr[data-id="cc-seed0"]');
    await row.waitFor({ timeout: 60_000 });
    expect(await row.locator('td').first().textContent()).to.equal('cc');
  });

  it('adds points to the loss curve while the run trains', async () => {
    // Watch until the run is over; every look is kept.
    for (const deadline = Date.now() + 150_000; Date.now() < deadline;) {
      const s = await sample(page);
      seen.push(s);
      if (s.status && s.status !== 'running') break;
      await page.waitForTimeout(200);
    }
    const whileRunning = seen.filter((s) => s.status === 'running' && s.points > 0).map((s) => s.points);
    const distinct = [...new Set(whileRunning)];
    // Two different counts while the run is still going prove the curve grew live, not at the end.
    expect(distinct.length, `loss points seen while running: ${whileRunning.join(' ')}`).to.be.at.least(2);
    // Never fewer points than before: the curve grows as events arrive.
    expect(whileRunning).to.deep.equal([...whileRunning].sort((a, b) => a - b));
    expect(seen.at(-1)!.status).to.equal('done');
  });

  it('ends with the final metrics of results.json, and every logged step on the curve', async () => {
    const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as BenchResult;
    const run = results.runs[0];
    expect(run.status).to.equal('ok');
    // The page redraws at most once a second: give it the time to catch up with the end.
    for (const deadline = Date.now() + 10_000; (await sample(page)).points !== run.stepLoss.length && Date.now() < deadline;) await page.waitForTimeout(200);
    expect((await sample(page)).points).to.equal(run.stepLoss.length);
    for (const metric of ['acc', 'nmi', 'ari']) {
      const expected = run.metrics[metric].toFixed(4);
      await page.locator(`#run-metrics [data-metric="${metric}"]`).filter({ hasText: expected }).waitFor({ timeout: 10_000 });
      expect(await page.locator(`#run-metrics [data-metric="${metric}"]`).textContent()).to.equal(`${metric.toUpperCase()} ${expected}`);
      expect(await page.locator(`#runs tr[data-id="cc-seed0"] td.metric-${metric}`).textContent()).to.equal(expected);
    }
  });

  it('draws every chart and the samples of each cluster', async () => {
    for (const chart of ['loss', 'metrics', 'throughput', 'sizes', 'confusion']) {
      expect(await page.locator(`#chart-${chart} svg`).count(), chart).to.be.at.least(1);
    }
    const img = page.locator('#samples-img');
    await img.waitFor({ state: 'visible' });
    expect(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).to.equal(true);
  });

  it('saves a screenshot', async () => {
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`      screenshot: ${SCREENSHOT}`);
    expect((await readFile(SCREENSHOT)).subarray(1, 4).toString()).to.equal('PNG');
  });

  it("stops serving at Ctrl-C, with the bench's exit code", async () => {
    cli.kill('SIGINT');
    const [code] = await once(cli, 'exit');
    expect(code, output).to.equal(0);
  });
});

describe('clusterflow serve: the runs table in a real browser', function () {
  this.timeout(60_000);
  const executable = findChromium();
  let dir: string;
  let live: LiveView;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: Page;
  /** Uncaught errors and console errors of the page (its bundle, dist/page/app.js, from page/src). */
  const errors: string[] = [];

  before(async function () {
    if (!executable) return this.skip();
    // A bench from before the event log: its results.json alone.
    dir = await mkdtemp(join(tmpdir(), 'cf-table-'));
    const run = (name: string, acc: number, imagesPerSec: number) =>
      ({
        name,
        seed: 0,
        status: 'ok',
        objectives: [name],
        backbone: 'mlp',
        dataset: 'fashion-mnist',
        backend: 'cpu',
        epochs: 1,
        epochsDone: 1,
        wallSeconds: 1,
        imagesPerSec,
        metrics: { acc, nmi: acc, ari: acc },
        clusterSizes: {},
        perEpoch: [],
        stepLoss: [],
        warnings: [],
        dir: `${name}-seed0`,
        files: [],
        config: { name, seed: 0, objective: [{ id: name }], backbone: { id: 'mlp' }, data: { id: 'fashion-mnist' }, train: { epochs: 1 } },
      }) as unknown as RunResult;
    const runs = [run('cc', 0.6, 900), run('secu', 0.7, 1200), run('simclr', 0.5, 1500)];
    await writeFile(join(dir, 'results.json'), JSON.stringify({ name: 'b', date: '', machine: {}, runs, ok: 3, failed: 0, interrupted: 0 }));
    live = await startLiveView({ root: dir, port: 0 });
    browser = await launchChromium(executable);
    page = await browser.context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => void (msg.type() === 'error' && errors.push(msg.text())));
    await page.goto(live.url);
    await page.locator('#runs tbody tr').nth(2).waitFor();
  });

  after(async () => {
    await browser?.close();
    await live?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the built page without an error in the console', async () => {
    // The first run is selected and shown: the bundle's code, @clusterflow/report/page's among it, ran in the browser.
    await page.locator('#run-title').filter({ hasText: 'cc (seed 0)' }).waitFor();
    expect(await page.locator('#run-metrics [data-metric="acc"]').textContent()).to.equal('ACC 0.6000');
    expect(await page.evaluate(() => typeof (window as unknown as { clusterflow: { views: object } }).clusterflow.views)).to.equal('object');
    expect(errors).to.deep.equal([]);
  });

  it("serves the page's build (dist/page), not its sources", async () => {
    const status = async (path: string) => (await fetch(new URL(path, live.url))).status;
    expect(await status('/app.js')).to.equal(200);
    expect(await status('/style.css')).to.equal(200);
    for (const path of ['/src/main.ts', '/build.ts', '/page/src/main.ts', '/dist/page/app.js']) expect(await status(path), path).to.equal(404);
  });

  const order = () => page.locator('#runs tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id));

  it('sorts by a column when its header is clicked, the other way on a second click', async () => {
    expect(await order()).to.deep.equal(['cc-seed0', 'secu-seed0', 'simclr-seed0']); // by run name
    await page.locator('#runs th[data-key="acc"]').click();
    expect(await order()).to.deep.equal(['simclr-seed0', 'cc-seed0', 'secu-seed0']);
    await page.locator('#runs th[data-key="acc"]').click();
    expect(await order()).to.deep.equal(['secu-seed0', 'cc-seed0', 'simclr-seed0']);
    await page.locator('#runs th[data-key="imagesPerSec"]').click();
    expect(await order()).to.deep.equal(['cc-seed0', 'secu-seed0', 'simclr-seed0']);
  });
});
