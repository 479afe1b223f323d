import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Assignment, Clusterer } from '@clusterflow/clusterer';
import { ConfigError, readCheckpointMeta, selectBackend, type BackendChoice, type Dataset, type Registry } from '@clusterflow/core';
import { npyBytes } from '@clusterflow/data';
import { writeFileAtomic } from '../util/atomic-write.js';
import { datasetFromArg, type DataArgOptions } from './data-arg.js';
import { isExportedModel, openModel } from './open-model.js';
import { checkpointOf } from './trained-model.js';

export interface PredictOptions extends DataArgOptions {
  /** assignments CSV to write. */
  out: string;
  /** Also write the backbone features, [N, featureDim] float32 .npy. */
  features?: string;
  /** Also write the main read-out's cluster probabilities, [N, K] float32 .npy. */
  probabilities?: string;
  backend?: BackendChoice;
  /** Folder a run's stored config resolves its relative paths against. */
  baseDir: string;
  /** Rows per forward pass (default: the run's eval.batchSize, else 256). */
  batchSize?: number;
  registry: Registry;
  signal?: AbortSignal;
}

export interface PredictSummary {
  rows: number;
  readouts: string[];
  skipped: { name: string; why: string }[];
  clusterSizes: number[];
  /** ACC, NMI and ARI of the main read-out against the data's labels, when it has them. */
  metrics?: Record<string, number>;
  backend: string;
  data: string;
}

/**
 * `clusterflow predict`: assigns every sample of `data` (the run's own data when
 * absent) with a checkpoint, run folder or exported model, and writes
 * `index,cluster,confidence[,label]` and one `cluster_<name>,confidence_<name>`
 * pair per further read-out.
 */
export async function predict(model: string, data: string | undefined, o: PredictOptions): Promise<PredictSummary> {
  // The backend before the first tensor: the model's weights then land on it (and
  // TF.js's cpu backend, the default until one is chosen, prints no Node banner).
  const backend = await selectBackend(o.backend ?? (await runBackend(model)), o.registry);
  // The run's own data is read only when it is what to assign: other data needs none of it.
  const opened = await openModel(model, { registry: o.registry, baseDir: o.baseDir, withData: data === undefined });
  const { clusterer } = opened;
  try {
    let dataset: Dataset;
    let dataName: string;
    if (data === undefined) {
      if (!opened.run) throw new ConfigError(`predict: give <data>; an exported model (${model}) carries no data of its own`);
      dataset = opened.run.dataset!;
      dataName = `the run's own data (${dataset.describe?.() ?? opened.run.config.data.id})`;
    } else {
      dataset = (await datasetFromArg(data, clusterer.model.preprocessing, o.registry, o)).dataset;
      dataName = data;
    }
    const batchSize = o.batchSize ?? opened.run?.config.eval.batchSize ?? 256;
    const result = await assignAll(clusterer, dataset, batchSize, { features: o.features !== undefined, signal: o.signal });
    await writeOut(o.out, assignmentsCsv(result.readouts, clusterer.readoutNames, dataset.labels));
    if (o.features) await writeOut(o.features, npyBytes(result.features!, [dataset.size, result.featureDim]));
    const main = result.readouts[clusterer.readoutNames[0]];
    if (o.probabilities) await writeOut(o.probabilities, npyBytes(main.probabilities, [dataset.size, main.numClusters]));
    const sizes = new Array<number>(main.numClusters).fill(0);
    for (const c of main.cluster) sizes[c]++;
    const metrics = dataset.labels
      ? Object.fromEntries(['acc', 'nmi', 'ari'].map((id) => [id, o.registry.build('metric', { id }, {}).compute(dataset.labels!, main.cluster)]))
      : undefined;
    return {
      rows: dataset.size,
      readouts: clusterer.readoutNames,
      skipped: opened.skipped,
      clusterSizes: sizes,
      metrics,
      backend: backend.name,
      data: dataName,
    };
  } finally {
    clusterer.dispose();
  }
}

/** Every sample through the clusterer, batch by batch, into one array per read-out. */
export async function assignAll(clusterer: Clusterer, dataset: Dataset, batchSize: number, opts: { features?: boolean; signal?: AbortSignal } = {}) {
  const n = dataset.size;
  const readouts: Record<string, Assignment> = {};
  let features: Float32Array | undefined;
  let featureDim = 0;
  for (let start = 0; start < n; start += batchSize) {
    opts.signal?.throwIfAborted();
    const idx = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const x = dataset.batch(idx);
    let f: ReturnType<Clusterer['featureTensor']> | undefined;
    try {
      // A dataset's batches are in the model's units already ([0, 1] images); preprocessing does the rest (resize, channels).
      f = clusterer.featureTensor(x, { scaled: true, batchSize });
      const p = await clusterer.predictFeatures(f);
      if (opts.features) {
        featureDim = f.shape[1];
        features ??= new Float32Array(n * featureDim);
        features.set((await f.data()) as Float32Array, start * featureDim);
      }
      for (const [name, a] of Object.entries(p.readouts)) {
        const all = (readouts[name] ??= {
          cluster: new Int32Array(n),
          confidence: new Float32Array(n),
          probabilities: new Float32Array(n * a.numClusters),
          numClusters: a.numClusters,
        });
        all.cluster.set(a.cluster, start);
        all.confidence.set(a.confidence, start);
        all.probabilities.set(a.probabilities, start * a.numClusters);
      }
    } finally {
      x.dispose();
      f?.dispose();
    }
  }
  return { readouts, features, featureDim };
}

/** The CSV: main read-out as `cluster,confidence`, `label` when known, then `cluster_<name>,confidence_<name>` per other read-out. */
export function assignmentsCsv(readouts: Record<string, Assignment>, names: readonly string[], labels?: ArrayLike<number>): string {
  const [main, ...rest] = names;
  const safe = (n: string) => n.replace(/[^\w.-]+/g, '_');
  const header = ['index', 'cluster', 'confidence', ...(labels ? ['label'] : []), ...rest.flatMap((n) => [`cluster_${safe(n)}`, `confidence_${safe(n)}`])];
  const lines = [header.join(',')];
  const m = readouts[main];
  for (let i = 0; i < m.cluster.length; i++) {
    const row = [i, m.cluster[i], fmt(m.confidence[i])];
    if (labels) row.push(labels[i]);
    for (const n of rest) row.push(readouts[n].cluster[i], fmt(readouts[n].confidence[i]));
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}

const fmt = (x: number) =>
  x
    .toPrecision(6)
    .replace(/\.?0+$/, '')
    .replace(/\.?0+e/, 'e');

async function writeOut(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, data);
}

/** The backend a checkpoint's run config names (its header only: nothing is imported); `auto` for an exported model. */
async function runBackend(model: string): Promise<BackendChoice> {
  if (isExportedModel(model)) return 'auto';
  const config = (await readCheckpointMeta(checkpointOf(model))).config as { backend?: BackendChoice } | undefined;
  return config?.backend ?? 'auto';
}
