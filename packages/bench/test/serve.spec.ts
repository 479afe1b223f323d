import { expect } from 'chai';
import { appendFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigError, tf, type Dataset, type HookContext, type TrainEvent } from '@clusterflow/core';
import {
  createLiveViewServer,
  EventLog,
  liveStatus,
  MAX_STEPS,
  parseLogLines,
  RunsFolder,
  sampleGridPng,
  startLiveView,
  thin,
  type LogLine,
  type RunResult,
} from '@clusterflow/bench';
import { cli } from './support/cli.js';
import { tempDir } from './support/files.js';
import { DEAD_WRITER as DEAD, jsonl, RUN_CONFIG as CONFIG, runStart as start } from './support/run-log.js';

const ALIVE = { pid: process.pid, host: hostname() };

const step = (n: number): LogLine => ({
  t: 2 + n,
  type: 'step',
  epoch: 0,
  step: n,
  stepInEpoch: n,
  stepsPerEpoch: 3,
  loss: { total: 3 - n, cc: 2 - n },
  lr: 0.1,
  imagesPerSec: 100 + n,
});
const epochEnd: LogLine = {
  t: 9,
  type: 'epoch-end',
  epoch: 0,
  metrics: { acc: 0.5, nmi: 0.25, ari: 0.125 },
  clusterSizes: { cluster: [4, 0] },
  loss: { total: 2, cc: 1 },
  seconds: 1,
  imagesPerSec: 100,
};
const COLLAPSE = 'cluster: possible cluster collapse: 1 of 2 clusters are empty';
const warning: LogLine = { t: 9, type: 'warning', epoch: 0, message: COLLAPSE };
const evaluation: LogLine = {
  t: 9,
  type: 'evaluation',
  epoch: 0,
  step: 3,
  readout: 'cluster',
  confusion: { classes: [0, 1], clusters: [0], counts: [[2], [2]], order: [0] },
};
const complete = (kind: 'completed' | 'interrupted'): LogLine => ({
  t: 10,
  type: 'complete',
  summary: {
    name: 'cc',
    backend: 'cpu',
    epochs: 2,
    epochsDone: 1,
    steps: 3,
    stages: [],
    end: kind === 'completed' ? { kind } : { kind, reason: 'Ctrl-C' },
    wallSeconds: 1,
    imagesPerSec: 100,
    metrics: { acc: 0.5 },
    clusterSizes: {},
    mainReadout: 'cluster',
  },
});

function result(dir: string, over: Partial<RunResult> = {}): RunResult {
  return {
    name: 'cc',
    seed: 0,
    status: 'ok',
    objectives: ['cc'],
    backbone: 'mlp',
    dataset: 'fashion-mnist',
    backend: 'cpu',
    epochs: 2,
    epochsDone: 2,
    wallSeconds: 1,
    imagesPerSec: 100,
    metrics: { acc: 0.75, nmi: 0.5, ari: 0.25 },
    mainReadout: 'cluster',
    clusterSizes: { cluster: [2, 2] },
    perEpoch: [],
    stepLoss: [],
    warnings: [],
    dir,
    files: [],
    config: CONFIG,
    ...over,
  };
}
const bench = (runs: RunResult[]) => JSON.stringify({ name: 'b', date: '', machine: {}, runs, ok: runs.length, failed: 0, interrupted: 0 });

describe('live view: run status from the event log', () => {
  it('takes the run-end line, else running while the writer lives, else what complete says, else interrupted', () => {
    expect(liveStatus([start(), step(0), { t: 3, type: 'run-end', status: 'failed', error: 'boom' }])).to.deep.equal({ status: 'failed', error: 'boom' });
    expect(liveStatus([start(ALIVE), step(0)]).status).to.equal('running');
    expect(liveStatus([start(), step(0)]).status).to.equal('interrupted');
    expect(liveStatus([start(), complete('completed')]).status).to.equal('done');
    expect(liveStatus([start(), complete('interrupted')]).status).to.equal('interrupted');
    // A resumed run: only the lines since its last start count.
    expect(liveStatus([start(), complete('interrupted'), { t: 1, type: 'run-end', status: 'interrupted' }, start(ALIVE)]).status).to.equal('running');
    expect(liveStatus([], result('x', { status: 'failed', error: 'bad' }))).to.deep.equal({ status: 'failed', error: 'bad' });
    expect(liveStatus([], result('x')).status).to.equal('done');
  });
});

describe('live view: the event log hook', () => {
  let dir: string;
  before(async () => (dir = await tempDir()));
  after(() => rm(dir, { recursive: true, force: true }));

  it('appends every event, without per-sample arrays, and a closing line; a fresh run starts a new file', async () => {
    const events: TrainEvent[] = [
      { type: 'step', epoch: 0, step: 0, stepInEpoch: 0, stepsPerEpoch: 1, loss: { total: 1 }, lr: 0.1, imagesPerSec: 10 },
      {
        type: 'complete',
        summary: {
          name: 'cc',
          backend: 'cpu',
          epochs: 1,
          epochsDone: 1,
          steps: 1,
          stages: [],
          end: { kind: 'completed' },
          wallSeconds: 1,
          imagesPerSec: 10,
          metrics: {},
          clusterSizes: {},
          readouts: { cluster: new Int32Array([0, 1]) },
          labels: new Int32Array([1, 0]),
        },
      },
    ];
    const write = (fresh: boolean) => {
      const log = new EventLog(dir, { fresh, warn: (m) => expect.fail(m) });
      for (const e of events) log.hook.onEvent!(e, undefined as never);
      log.end(result('x'));
      return log.path;
    };
    const path = write(true);
    const first = parseLogLines(await readFile(path, 'utf8')).lines;
    expect(first.map((l) => l.type)).to.deep.equal(['step', 'complete', 'run-end']);
    expect(first[1]).to.have.nested.property('summary.steps', 1);
    expect(first[1]).to.not.have.nested.property('summary.readouts');
    expect(first[1]).to.not.have.nested.property('summary.labels');
    expect(first.every((l) => typeof l.t === 'number')).to.equal(true);
    write(false); // resumed: appended
    expect(parseLogLines(await readFile(path, 'utf8')).lines).to.have.length(6);
    write(true); // a new run in the same folder
    expect(parseLogLines(await readFile(path, 'utf8')).lines).to.have.length(3);
  });

  it("after each evaluation, logs the main read-out's confusion matrix and rewrites samples.png", async () => {
    const labels = new Int32Array([0, 0, 1, 1]);
    const dataset = { labels, size: 4, sampleShape: [2, 2, 1], batch: (idx: Int32Array) => tf.fill([idx.length, 2, 2, 1], 0.5) };
    const ctx = (epoch: number, step: number) =>
      ({
        run: { dataset },
        evaluation: {
          epoch,
          step,
          mainReadout: 'cluster',
          readouts: { cluster: new Int32Array([1, 1, 0, 1]) },
          clusterSizes: { cluster: [1, 3] },
          metrics: {},
        },
      }) as unknown as HookContext;
    const log = new EventLog(dir, { fresh: true, warn: (m) => expect.fail(m) });
    await log.hook.onEpochEnd!(ctx(0, 4));
    await log.hook.onRunEnd!(ctx(0, 4)); // the same evaluation: nothing more
    log.end(result('x'));
    const lines = parseLogLines(await readFile(log.path, 'utf8')).lines;
    expect(lines.map((l) => l.type)).to.deep.equal(['evaluation', 'run-end']);
    // Clusters ordered by their matched class: cluster 1 holds class 0, cluster 0 class 1.
    expect(lines[0]).to.deep.include({
      epoch: 0,
      step: 4,
      readout: 'cluster',
      confusion: {
        classes: [0, 1],
        clusters: [0, 1],
        counts: [
          [0, 2],
          [1, 1],
        ],
        order: [1, 0],
      },
    });
    // The same picture as the run's final samples.png would be for this assignment.
    const expected = await sampleGridPng(dataset as unknown as Dataset, new Int32Array([1, 1, 0, 1]), 2);
    expect((await readFile(join(dir, 'samples.png'))).equals(expected)).to.equal(true);
  });

  it('leaves a line still being written for later', () => {
    const { lines, bytes } = parseLogLines(jsonl([step(0)]) + '{"type":"st');
    expect(lines).to.have.length(1);
    expect(bytes).to.equal(Buffer.byteLength(jsonl([step(0)])));
  });
});

describe('live view: the server', () => {
  let dir: string;
  let root: string;
  let app: FastifyInstance;
  const get = (url: string) => app.inject({ method: 'GET', url });

  before(async () => {
    dir = await tempDir();
    root = join(dir, 'runs');
    const ok = join(root, 'b', 'ok-seed0');
    await mkdir(ok, { recursive: true });
    await writeFile(
      join(ok, 'events.jsonl'),
      jsonl([start(), step(0), step(1), step(2), epochEnd, warning, evaluation, complete('completed'), { t: 11, type: 'run-end', status: 'ok' }]),
    );
    await writeFile(join(ok, 'results.json'), bench([result('ok-seed0')]));
    await writeFile(join(ok, 'samples.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
    for (const [name, lines] of [
      ['live-seed0', [start(ALIVE), step(0)]],
      ['dead-seed0', [start(), step(0)]],
    ] as const) {
      await mkdir(join(root, 'b', name));
      await writeFile(join(root, 'b', name, 'events.jsonl'), jsonl([...lines]));
    }
    // A bench's results.json: its own runs, one from before the event log, and one that points outside.
    await mkdir(join(root, 'b', 'old-seed0'));
    await writeFile(
      join(root, 'b', 'results.json'),
      bench([result('ok-seed0'), result('old-seed0', { status: 'failed', error: 'no data' }), result('../../outside')]),
    );
    await writeFile(join(dir, 'secret.txt'), 'not for the page');
    await mkdir(join(dir, 'outside'));
    await writeFile(join(dir, 'outside', 'events.jsonl'), jsonl([start()]));
    await symlink(join(dir, 'secret.txt'), join(ok, 'results.md'));
    app = await createLiveViewServer(root);
  });

  after(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every run under the folder with its status and final metrics', async () => {
    const res = await get('/api/runs');
    expect(res.statusCode).to.equal(200);
    const runs = res.json().runs as { id: string; status: string; metrics: Record<string, number>; error?: string }[];
    expect(runs.map((r) => [r.id, r.status])).to.deep.equal([
      ['b/dead-seed0', 'interrupted'],
      ['b/live-seed0', 'running'],
      ['b/ok-seed0', 'done'],
      ['b/old-seed0', 'failed'],
    ]);
    // Over: results.json's numbers, not the log's last evaluation.
    expect(runs[2].metrics).to.deep.equal({ acc: 0.75, nmi: 0.5, ari: 0.25 });
    expect(runs[3].error).to.equal('no data');
  });

  it("draws a run's loss parts per step, metrics, sizes with warnings, throughput and confusion", async () => {
    const res = await get('/api/run?id=b/ok-seed0');
    expect(res.statusCode).to.equal(200);
    const view = res.json();
    expect(Object.keys(view.charts)).to.have.members(['loss', 'metrics', 'sizes', 'throughput', 'confusion']);
    expect(view.charts.loss.hconcat[0].data).to.deep.include({ name: 'steps' });
    expect(view.charts.loss.hconcat[0].data.values).to.have.length(6); // 3 steps x (total, cc)
    expect(view.charts.sizes.cluster.layer[1].data.values).to.deep.equal([{ epoch: 1, message: COLLAPSE }]);
    expect(view.warnings).to.have.length(1);
    expect(view.samples.version).to.be.a('number');
    // The run's files the page links to: not the link that leads outside.
    expect(view.files).to.deep.equal(['samples.png', 'results.json', 'events.jsonl']);
  });

  it('serves the page, its script and the vega bundles from node_modules', async () => {
    expect((await get('/')).body).to.include('<title>clusterflow runs</title>');
    expect((await get('/app.js')).statusCode).to.equal(200);
    for (const f of ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js']) {
      const res = await get(`/vendor/${f}`);
      expect(res.statusCode, f).to.equal(200);
      expect(res.headers['content-type']).to.match(/javascript/);
      expect(res.body.length).to.be.greaterThan(10_000);
    }
    expect((await get('/api/run/file?id=b/ok-seed0&name=samples.png')).headers['content-type']).to.equal('image/png');
  });

  it('answers 404, and no file outside the runs folder, to unknown runs, unknown files and path traversal', async () => {
    for (const url of [
      '/api/run',
      '/api/run?id=nope',
      '/api/run?id=..',
      '/api/run?id=../outside',
      '/api/run?id=b/../b/ok-seed0',
      '/api/run/events?id=../outside',
      '/api/run/file?id=b/ok-seed0&name=../../../secret.txt',
      '/api/run/file?id=b/ok-seed0&name=results.md', // a link to a file outside
      '/api/run/file?id=b/ok-seed0&name=checkpoints/last.ckpt',
      '/api/run/file?id=../outside&name=events.jsonl',
      '/../secret.txt',
      '/%2e%2e/%2e%2e/secret.txt',
      '/..%2f..%2fsecret.txt',
      '/vendor/..%2f..%2fpackage.json',
      '/vendor/nope.js',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).to.equal(404);
      expect(res.body, url).to.not.include('not for the page');
    }
  });
});

describe('live view: listening and live events', () => {
  let dir: string;
  before(async () => (dir = await tempDir()));
  after(() => rm(dir, { recursive: true, force: true }));

  it('listens on loopback by default and names a port in use', async () => {
    const live = await startLiveView({ root: dir, port: 0 });
    try {
      expect(live.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const port = Number(new URL(live.url).port);
      const err = await startLiveView({ root: dir, port }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.include(`--port ${port}`);
    } finally {
      await live.close();
    }
  });

  it('streams a log from where the client left off, then each line as it is appended, and says when the file is started afresh', async () => {
    const runDir = join(dir, 'r-seed0');
    await mkdir(runDir);
    const path = join(runDir, 'events.jsonl');
    await writeFile(path, jsonl([start(ALIVE), step(0)]));
    const live = await startLiveView({ root: dir, port: 0 });
    const abort = new AbortController();
    try {
      // The id of an event is the byte offset after it: resuming after the first line.
      const res = await fetch(`${live.url}api/run/events?id=r-seed0`, {
        headers: { 'last-event-id': String(Buffer.byteLength(jsonl([start(ALIVE)]))) },
        signal: abort.signal,
      });
      expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
      const events = readEvents(res.body!);
      const first = await events.next();
      expect(JSON.parse(first.data)).to.deep.equal(step(0));
      expect(Number(first.id)).to.equal(Buffer.byteLength(jsonl([start(ALIVE), step(0)])));
      await appendFile(path, jsonl([step(1)]));
      expect(JSON.parse((await events.next()).data)).to.deep.equal(step(1));
      // A new run in the folder: another file, longer than what was sent of the old one.
      await rm(path);
      await writeFile(path, jsonl([start(ALIVE, 1795791815607), step(0), step(1), step(2)]));
      expect((await events.next()).event).to.equal('reset');
      expect(JSON.parse((await events.next()).data)).to.deep.equal(start(ALIVE, 1795791815607));
    } finally {
      abort.abort();
      await live.close();
    }
  });

  it('refuses a port that is not a number', async () => {
    const res = await cli('serve', dir, '--port', 'http');
    expect(res.code).to.equal(2);
    expect(res.err).to.include('expected a port number');
  });
});

/** Server-sent events off a fetch body, one at a time. */
function readEvents(body: ReadableStream<Uint8Array>): { next(): Promise<{ event?: string; id?: string; data: string }> } {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next() {
      for (;;) {
        const at = buffer.indexOf('\n\n');
        if (at >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue; // a comment (the opening and the heartbeat)
            const i = line.indexOf(': ');
            fields[line.slice(0, i)] = (fields[line.slice(0, i)] ? fields[line.slice(0, i)] + '\n' : '') + line.slice(i + 2);
          }
          if (fields.data !== undefined) return { event: fields.event, id: fields.id, data: fields.data };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('event stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
  };
}

describe('live view: reading a runs folder as it changes', () => {
  let dir: string;
  before(async () => (dir = await tempDir()));
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads on as a log grows, and reads a replaced log afresh', async () => {
    const runs = new RunsFolder(dir);
    const path = join(dir, 'r-seed0', 'events.jsonl');
    await mkdir(join(dir, 'r-seed0'));
    await writeFile(path, jsonl([start(), step(0)]));
    expect((await runs.runs())[0].log.lines).to.equal(2);
    await appendFile(path, jsonl([step(1)]) + '{"type":"st'); // the last line half written
    let log = (await runs.runs())[0].log;
    expect([log.lines, log.start, log.steps()]).to.deep.equal([3, start(), [step(0), step(1)]]);
    // A new run in the folder: a new file, longer than what was read of the old one.
    await rm(path);
    const again = [start(ALIVE, 1795791815607), step(5), step(6), step(7), step(8)];
    await writeFile(path, jsonl(again));
    log = (await runs.runs())[0].log;
    expect([log.lines, log.start, log.steps()]).to.deep.equal([5, again[0], again.slice(1)]);
    runs.close();
  });

  it("finds a candidate seed's own record in its folder (a-seed0/candidates/seed6), with no phantom folder beside it", async () => {
    const root = join(dir, 'picked');
    const candidate = join(root, 'a-seed0', 'candidates', 'seed6');
    await mkdir(candidate, { recursive: true });
    await writeFile(join(candidate, 'events.jsonl'), jsonl([start(), step(0)]));
    const record = { name: 'a', seed: 6, status: 'interrupted', dir: 'a-seed0/candidates/seed6', metrics: {}, perEpoch: [] };
    await writeFile(join(candidate, 'results.json'), JSON.stringify({ name: 'pick / a-seed0/candidates/seed6', runs: [record] }));
    const runs = new RunsFolder(root);
    const found = await runs.runs();
    expect(found.map((r) => [r.id, r.missing ?? false, r.result?.status])).to.deep.equal([['a-seed0/candidates/seed6', false, 'interrupted']]);
    runs.close();
  });
});

describe('live view: long runs', () => {
  it('draws at most MAX_STEPS steps, evenly spaced, the first and the last among them', () => {
    const steps = Array.from({ length: 10_001 }, (_, i) => i);
    const drawn = thin(steps, MAX_STEPS);
    expect(drawn).to.have.length(MAX_STEPS);
    expect([drawn[0], drawn.at(-1)]).to.deep.equal([0, 10_000]);
    const gaps = new Set(drawn.slice(1).map((s, i) => s - drawn[i]));
    expect(Math.max(...gaps) - Math.min(...gaps)).to.be.at.most(1);
    expect(thin(steps.slice(0, 80), MAX_STEPS)).to.have.length(80);
  });
});
