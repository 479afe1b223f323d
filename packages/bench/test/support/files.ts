import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the system's temp folder for one spec's runs. */
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
