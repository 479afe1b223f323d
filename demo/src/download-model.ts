import { describeTrainedModel, encodeModel } from '@clusterflow/clusterer';
import { disposeCheckpoint, readCheckpoint, type Registry } from '@clusterflow/core';

/**
 * Exports the run of the checkpoint stored under `key` (IndexedDB) as `clusterflow
 * export` does, and offers its files (model.json and the weight shards) as
 * downloads: saved into one folder, loadClusterer reads them in Node or a page.
 */
export async function downloadModel(key: string, registry: Registry): Promise<string[]> {
  const ckpt = await readCheckpoint(key);
  try {
    const trained = await describeTrainedModel(ckpt, key, { registry, baseDir: document.baseURI });
    const { files } = await encodeModel(trained.description, trained.weights);
    // Shards first, model.json last: the same order `clusterflow export` writes them in.
    const names = Object.keys(files).sort((a, b) => Number(a === 'model.json') - Number(b === 'model.json'));
    for (const name of names) save(files[name], name);
    return names;
  } finally {
    disposeCheckpoint(ckpt);
  }
}

function save(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(
    new Blob([bytes as Uint8Array<ArrayBuffer>], { type: fileName.endsWith('.json') ? 'application/json' : 'application/octet-stream' }),
  );
  try {
    Object.assign(document.createElement('a'), { href: url, download: fileName }).click();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}
