/**
 * k-means speed against scikit-learn: 70,000 x 128 clustered features, K = 10,
 * n_init = 10, the same float32 data for both (written to a temp file that
 * /usr/bin/python3 reads), on the cpu and wasm backends.
 *
 *   npx tsx --conditions=source tools/eval-bench/kmeans-bench.ts [N] [D] [K] [nInit] [backends]
 *
 * backends: comma-separated, default 'wasm,cpu'.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import { kmeans, miniBatchKmeans } from '@clusterflow/eval';

const [n, d, k, nInit] = [70_000, 128, 10, 10].map((v, i) => Number(process.argv[2 + i] ?? v));
const backends = (process.argv[6] ?? 'wasm,cpu').split(',') as ('wasm' | 'cpu')[];

/** Gaussian clusters around random centres, overlapping enough to need several iterations. */
function clusteredData(seed: number): Float32Array {
  const rng = new Rng(seed);
  const centres = Float32Array.from({ length: k * d }, () => rng.normal() * 0.5);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.int(k);
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c * d + j] + rng.normal();
  }
  return x;
}

const SKLEARN = `
import sys, time, json
import numpy as np
from sklearn.cluster import KMeans
n, d, k, n_init = map(int, sys.argv[2:6])
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(n, d)
t = time.perf_counter()
km = KMeans(n_clusters=k, n_init=n_init, random_state=0, algorithm='lloyd').fit(x)
print(json.dumps({'seconds': time.perf_counter() - t, 'inertia': float(km.inertia_), 'iterations': int(km.n_iter_)}))
`;

async function main(): Promise<void> {
  const data = clusteredData(42);
  const dir = mkdtempSync(join(tmpdir(), 'kmeans-bench-'));
  const file = join(dir, 'x.f32');
  writeFileSync(file, Buffer.from(data.buffer));
  let sk: { seconds: number; inertia: number; iterations: number };
  try {
    const out = execFileSync('/usr/bin/python3', ['-c', SKLEARN, file, String(n), String(d), String(k), String(nInit)], {
      encoding: 'utf8',
    });
    sk = JSON.parse(out.trim().split('\n').pop()!) as typeof sk;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`data: ${n} x ${d}, K = ${k}, nInit = ${nInit}`);
  console.log(`scikit-learn KMeans: ${sk.seconds.toFixed(2)} s, inertia ${sk.inertia.toFixed(1)}, ${sk.iterations} iterations (best run)`);

  for (const backend of backends) {
    await selectBackend(backend);
    const x = tf.tensor2d(data, [n, d]);
    const t = performance.now();
    const r = await kmeans(x, { k, nInit, seed: 0 });
    const seconds = (performance.now() - t) / 1000;
    x.dispose();
    console.log(
      `clusterflow kmeans (${backend}): ${seconds.toFixed(2)} s, inertia ${r.inertia.toFixed(1)} ` +
        `(${((r.inertia / sk.inertia - 1) * 100).toFixed(3)}% vs sklearn), ${r.iterations} iterations (best run); ` +
        `time ratio ${(seconds / sk.seconds).toFixed(2)}x scikit-learn`,
    );
    // The large-N alternative, for scale (not compared with scikit-learn's MiniBatchKMeans).
    const tm = performance.now();
    const xm = tf.tensor2d(data, [n, d]);
    const m = await miniBatchKmeans(xm, { k, batchSize: 1024, seed: 0 });
    xm.dispose();
    console.log(
      `clusterflow miniBatchKmeans (${backend}): ${((performance.now() - tm) / 1000).toFixed(2)} s, ` +
        `inertia ${m.inertia.toFixed(1)} (${((m.inertia / sk.inertia - 1) * 100).toFixed(3)}% vs sklearn KMeans), ${m.iterations} steps`,
    );
  }
}

await main();
