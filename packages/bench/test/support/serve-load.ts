/**
 * The live view under load: a big log (with invalid UTF-8 bytes and an unfinished
 * last line), a log of random bytes with no newline, slow clients on the big log's
 * event stream, and `/api/runs` timed meanwhile. The server runs in a child process,
 * so its memory is its own. The spec runs it small; for the sizes:
 *
 *   node --conditions=source --import tsx packages/bench/test/support/serve-load.ts 200 8
 *
 * (log MB, clients, seconds); it prints the server's peak RSS and /api/runs's slowest
 * answer. The server is the built one (packages/bench/dist: what `clusterflow serve`
 * runs; `npm run build` first), or the source through tsx with CF_LOAD_SOURCE=1.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoadResult {
  logBytes: number;
  clients: number;
  /** The server's resident memory: before the clients, and its peak. */
  idleRssMb: number;
  peakRssMb: number;
  /** Every /api/runs answer's time. */
  runsMs: number[];
  /** Bytes the slow clients got, in all. */
  streamed: number;
  /** The server's longest event-loop stall in each 100 ms. */
  loopMs: number[];
}

/** Writes a log of about `bytes`: step lines, an invalid UTF-8 line every 1,000, and an unfinished last line. */
async function writeLog(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  const writer = { pid: 2 ** 30, host: hostname() };
  let written = 0;
  const put = async (s: string | Buffer) => {
    written += typeof s === 'string' ? Buffer.byteLength(s) : s.length;
    if (!out.write(s)) await once(out, 'drain');
  };
  await put(
    JSON.stringify({
      t: 1,
      type: 'run-start',
      config: { name: 'big', seed: 0, train: { epochs: 100 } },
      backend: 'cpu',
      backendSummary: '',
      tfjsVersion: '',
      numSamples: 1,
      numClusters: 2,
      numParameters: 1,
      writer,
    }) + '\n',
  );
  for (let i = 0; written < bytes; i++) {
    if (i % 1000 === 999)
      await put(Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d, 0x0a])); // not UTF-8, not JSON
    else
      await put(
        JSON.stringify({
          t: 2 + i,
          type: 'step',
          epoch: Math.floor(i / 10000),
          step: i,
          stepInEpoch: i % 10000,
          stepsPerEpoch: 10000,
          loss: { total: 1 / (i + 1), cc: 0.5, 'cc/instance': 0.25 },
          lr: 0.1,
          imagesPerSec: 1234.5,
        }) + '\n',
      );
  }
  await put('{"t":9,"type":"step","unfinished":"' + 'x'.repeat(100_000));
  out.end();
  await once(out, 'close');
  return written;
}

/** Runs the load and returns what it measured. */
export async function serveLoad(opts: { logMb: number; clients: number; seconds: number; source?: boolean }): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'cf-serve-load-'));
  const child = { kill: () => {} } as { kill(): void };
  try {
    await mkdir(join(dir, 'big-seed0'));
    await mkdir(join(dir, 'noise-seed0'));
    const logBytes = await writeLog(join(dir, 'big-seed0', 'events.jsonl'), opts.logMb * 2 ** 20);
    // Random bytes, no newline: neither to be read again from its start, nor held.
    const noise = createWriteStream(join(dir, 'noise-seed0', 'events.jsonl'));
    for (let left = (opts.logMb / 4) * 2 ** 20; left > 0; left -= 2 ** 20) noise.write(randomBytes(2 ** 20).map((b) => (b === 0x0a ? 0x20 : b)));
    noise.end();
    await once(noise, 'close');

    const source = opts.source ? ['--conditions=source', '--import', 'tsx'] : [];
    const proc = spawn(
      process.execPath,
      [
        ...source,
        ...(process.env.CF_LOAD_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.CF_LOAD_PROF] : []),
        fileURLToPath(new URL('./serve-load-server.mjs', import.meta.url)),
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.kill = () => proc.kill();
    let peak = 0;
    const loopMs: number[] = [];
    let url = '';
    let lines = '';
    const ready = new Promise<void>((resolve) =>
      proc.stdout!.on('data', (d: Buffer) => {
        lines += d.toString();
        for (let at = lines.indexOf('\n'); at >= 0; at = lines.indexOf('\n')) {
          const line = lines.slice(0, at);
          lines = lines.slice(at + 1);
          if (line.startsWith('url ')) ((url = line.slice(4)), resolve());
          if (line.startsWith('rss ')) peak = Math.max(peak, Number(line.slice(4)));
          if (line.startsWith('loop ')) loopMs.push(Number(line.slice(5)));
        }
      }),
    );
    await ready;
    // This process's own fetch loads and connects on its first use: not the server's time.
    await (await fetch(`${url}no-such-page`)).text();
    await new Promise((r) => setTimeout(r, 300));
    const idle = peak;

    const abort = new AbortController();
    let streamed = 0;
    // Slow clients: 16 KiB every 50 ms, as a browser tab in the background might.
    const clients = Array.from({ length: opts.clients }, async () => {
      try {
        const res = await fetch(`${url}api/run/events?id=big-seed0`, { signal: abort.signal });
        const reader = res.body!.getReader({ mode: 'byob' } as never) as unknown as ReadableStreamBYOBReader;
        for (;;) {
          const { value, done } = await reader.read(new Uint8Array(16 << 10));
          if (done) return;
          streamed += value.length;
          await new Promise((r) => setTimeout(r, 50));
        }
      } catch {
        // aborted at the end
      }
    });
    const runsMs: number[] = [];
    const until = performance.now() + opts.seconds * 1000;
    while (performance.now() < until) {
      const t0 = performance.now();
      const res = await fetch(`${url}api/runs`);
      await res.json();
      runsMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    abort.abort();
    await Promise.all(clients);
    return { logBytes, clients: opts.clients, idleRssMb: idle / 2 ** 20, peakRssMb: peak / 2 ** 20, runsMs, streamed, loopMs };
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  {
    const r = await serveLoad({
      logMb: Number(process.argv[2] ?? 200),
      clients: Number(process.argv[3] ?? 8),
      seconds: Number(process.argv[4] ?? 20),
      source: process.env.CF_LOAD_SOURCE === '1',
    });
    const sorted = [...r.runsMs].sort((a, b) => a - b);
    process.stdout.write(
      `runs ms: ${r.runsMs.map((m) => m.toFixed(0)).join(' ')}\nloop ms: ${r.loopMs.map((m) => m.toFixed(0)).join(' ')}\n` +
        `log ${(r.logBytes / 2 ** 20).toFixed(0)} MB, ${r.clients} slow clients: server RSS ${r.idleRssMb.toFixed(0)} MB idle, ${r.peakRssMb.toFixed(0)} MB peak; ` +
        `/api/runs ${r.runsMs.length} answers, median ${sorted[sorted.length >> 1].toFixed(1)} ms, slowest ${sorted.at(-1)!.toFixed(1)} ms; streamed ${(r.streamed / 2 ** 20).toFixed(1)} MB\n`,
    );
    process.exit(0);
  }
}
