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
