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

/** What the specs' small runs on writeBlobs' file share: the cpu backend, the data, an MLP to 8 features. */
export const blobsParts = {
  backend: 'cpu',
  data: { id: 'vectors', options: { path: 'blobs.json' } },
  backbone: { id: 'mlp', options: { hidden: [16], featureDim: 8 } },
};

/** CC with an 8-wide projection, the objective of most of those runs. */
export const ccObjective = [{ id: 'cc', options: { projectionDim: 8 } }];

/** A bench config's `defaults:` block (YAML) for small runs on writeBlobs' file at `blobs`, `epochs` each. */
export const blobsBenchDefaults = (blobs: string, epochs: number) => `defaults:
  backend: cpu
  data: { id: vectors, options: { path: ${JSON.stringify(blobs)} } }
  augmentation: { id: identity }
  backbone: { id: mlp, options: { hidden: [16], featureDim: 8 } }
  optimizer: { id: adam, options: { lr: 0.001 } }
  train: { epochs: ${epochs}, batchSize: 32 }
  eval: { every: 1 }
  numClusters: 3`;
