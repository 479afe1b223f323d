import { expect } from 'chai';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunsFolder, startLiveView, type LiveView, type LogLine } from '@clusterflow/bench';
import { tempDir } from './support/files.js';
import { runStart, jsonl } from './support/run-log.js';
import { serveLoad } from './support/serve-load.js';

const start = runStart();
const step = (n: number): LogLine => ({
  t: 2 + n,
  type: 'step',
  epoch: 0,
  step: n,
  stepInEpoch: n,
  stepsPerEpoch: 3,
  loss: { total: 3 - n },
  lr: 0.1,
  imagesPerSec: 100,
});
/** A line that is not UTF-8 (nor JSON): it once shifted every offset after it. */
const NOT_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d, 0x0a]);

describe('live view under load: bounded whatever the logs and the clients (issue 26, item 3)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads on from where it stopped after an invalid UTF-8 byte: only the new bytes', async () => {
    const path = join(dir, 'r-seed0', 'events.jsonl');
    await mkdir(join(dir, 'r-seed0'));
    await writeFile(path, Buffer.concat([Buffer.from(jsonl([start, step(0)])), NOT_UTF8, Buffer.from(jsonl([step(1)]))]));
    const runs = new RunsFolder(dir);
    const first = (await runs.runs())[0].log;
    expect([first.lines, first.skipped]).to.deep.equal([3, 1]);
    const read = runs.stats.bytesRead;
    const more = Buffer.from(jsonl([step(2)]));
    await appendFile(path, more);
    const log = (await runs.runs())[0].log;
    expect(runs.stats.bytesRead - read).to.equal(more.length);
    expect(log.steps().map((s) => s.step)).to.deep.equal([0, 1, 2]);
    runs.close();
  });

  it('does not read a log with no newline again from its start as it grows, and skips a line over the bound with a note', async () => {
    const path = join(dir, 'r-seed0', 'events.jsonl');
    await mkdir(join(dir, 'r-seed0'));
    await writeFile(path, jsonl([start]) + '{"t":2,"type":"step","x":"' + 'x'.repeat(3 << 20));
    const runs = new RunsFolder(dir);
    // A scan reads for a bounded time, so a loaded machine may need several to catch up with the 3 MB.
    let read = -1;
    while (read !== runs.stats.bytesRead) {
      read = runs.stats.bytesRead;
      await runs.runs();
    }
    await appendFile(path, 'x'.repeat(1000));
    await runs.runs();
    expect(runs.stats.bytesRead - read).to.equal(1000);
    await appendFile(path, '"}\n' + jsonl([step(7)]));
    const log = (await runs.runs())[0].log;
    expect([log.lines, log.skipped, log.lastStep?.step]).to.deep.equal([2, 1, 7]);
    runs.close();
  });

  it('streams a long line as a `skipped` note, and the lines after it', async () => {
    await mkdir(join(dir, 'r-seed0'));
    await writeFile(join(dir, 'r-seed0', 'events.jsonl'), jsonl([start]) + '{"x":"' + 'y'.repeat(2 << 20) + '"}\n' + jsonl([step(1)]));
    const live = await startLiveView({ root: dir, port: 0 });
    const abort = new AbortController();
    try {
      const res = await fetch(`${live.url}api/run/events?id=r-seed0`, { signal: abort.signal });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('"step":1,')) text += Buffer.from((await reader.read()).value!).toString();
      expect(text).to.include('event: skipped');
      expect(text.length).to.be.lessThan(10_000);
    } finally {
      abort.abort();
      await live.close();
    }
  });

  it('scans the folder once for every client of the runs list', async () => {
    await mkdir(join(dir, 'r-seed0'));
    await writeFile(join(dir, 'r-seed0', 'events.jsonl'), jsonl([start, step(0)]));
    const live: LiveView = await startLiveView({ root: dir, port: 0 });
    const abort = new AbortController();
    try {
      const clients = Array.from({ length: 10 }, () => fetch(`${live.url}api/runs/live`, { signal: abort.signal }).then((r) => r.body!.getReader().read()));
      await Promise.all(clients);
      await new Promise((r) => setTimeout(r, 2500));
      const { scans } = (live.app as unknown as { runsFolder: RunsFolder }).runsFolder.stats;
      // One a second for all ten (ten a second, once).
      expect(scans).to.be.within(1, 5);
    } finally {
      abort.abort();
      await live.close();
    }
  });

  it('with a 20 MB log and 8 slow clients, grows by less than 64 MB and answers /api/runs quickly', async function () {
    this.timeout(120_000);
    const r = await serveLoad({ logMb: 20, clients: 8, seconds: 4, source: true });
    expect(r.streamed, 'the clients got nothing: nothing was measured').to.be.greaterThan(1 << 20);
    expect(r.peakRssMb - r.idleRssMb).to.be.lessThan(64);
    const sorted = [...r.runsMs].sort((a, b) => a - b);
    // The bound is 200 ms at full size; CI machines are shared, so the slowest may be slower.
    expect(sorted[sorted.length >> 1]).to.be.lessThan(50);
    expect(sorted.at(-1)).to.be.lessThan(500);
  });
});
