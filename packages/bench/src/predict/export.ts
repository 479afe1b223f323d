import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeModel, type ModelJson } from '@clusterflow/clusterer';
import { ConfigError, tf, type Registry } from '@clusterflow/core';
import { writeFileAtomic } from '../util/atomic-write.js';
import { trainedModel } from './trained-model.js';

/**
 * `clusterflow export`: writes a checkpoint's model as a folder a page or an app
 * loads with loadClusterer: model.json (backbone and heads as data, preprocessing,
 * numClusters, read-outs, sha256 of the weights) and TF.js weight shards. No code,
 * no paths. Refuses a folder holding anything but an earlier export's files.
 */
export async function exportModel(
  target: string,
  out: string,
  opts: { registry: Registry; baseDir: string },
): Promise<{ model: ModelJson; files: string[]; skipped: { name: string; why: string }[] }> {
  const trained = await trainedModel(target, opts);
  try {
    const { model, files } = await encodeModel(trained.description, trained.weights);
    await mkdir(out, { recursive: true });
    const foreign = (await readdir(out)).filter((f) => !(f === 'model.json' || /^weights(-\d+of\d+)?\.bin$/.test(f)));
    if (foreign.length > 0)
      throw new ConfigError(
        `export: --out ${out} holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); give an empty or new folder`,
      );
    // Shards first, model.json last: a reader that sees model.json sees its shards.
    const names = Object.keys(files).sort((a, b) => Number(a === 'model.json') - Number(b === 'model.json'));
    for (const name of names) await writeFileAtomic(join(out, name), files[name]);
    return { model, files: names, skipped: trained.skipped };
  } finally {
    tf.dispose(Object.values(trained.weights));
  }
}
