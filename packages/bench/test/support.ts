import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@clusterflow/bench';

/** A stream stand-in that keeps what was written (not a TTY: progress comes as plain lines). */
export function capture(): NodeJS.WriteStream & { text(): string } {
  let buf = '';
  return { isTTY: false, write: (s: string) => ((buf += s), true), text: () => buf } as unknown as NodeJS.WriteStream & { text(): string };
}

/** Runs the CLI in-process and returns its exit code and output. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { stdout, stderr });
  return { code, out: stdout.text(), err: stderr.text() };
}

export const tempDir = () => mkdtemp(join(tmpdir(), 'cf-bench-'));

/** Three well-separated Gaussian blobs in 8 dimensions, as a `vectors` JSON file with labels. */
export async function writeBlobs(dir: string, perClass = 32): Promise<string> {
  let s = 1;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const data: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 3 * perClass; i++) {
    const k = i % 3;
    data.push(Array.from({ length: 8 }, (_, d) => (d % 3 === k ? 3 : 0) + 0.3 * rand()));
    labels.push(k);
  }
  const path = join(dir, 'blobs.json');
  await writeFile(path, JSON.stringify({ data, labels }));
  return path;
}

/**
 * The status and body (as latin1, byte for byte) of a GET, read until the body ends
 * or the time is up: event streams never end by themselves. Without `bodyMs` one
 * timer of `ms` covers the whole answer; with it, `ms` covers the headers and a new
 * timer of `bodyMs` the body.
 */
export async function readAnswer(url: string, o: { ms: number; bodyMs?: number; headers?: Record<string, string> }): Promise<{ status: number; text: string }> {
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), o.ms);
  let text = '';
  let status = 0;
  try {
    const res = await fetch(url, { signal: abort.signal, headers: o.headers ?? {} });
    status = res.status;
    if (o.bodyMs !== undefined) {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), o.bodyMs);
    }
    const reader = res.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('latin1');
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
  }
  return { status, text };
}
