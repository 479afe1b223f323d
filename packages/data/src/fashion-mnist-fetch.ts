import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { IMAGE_VIEWS, MLP_BACKBONE } from './defaults.js';
import { DataError } from './errors.js';
import { fashionMnistFiles, fashionMnistFromParts, fashionMnistLimit, fashionMnistParts, type FashionMnistSplit } from './fashion-mnist-split.js';
import { gunzipIfNeeded } from './gunzip.js';
import type { HostDataset } from './host-dataset.js';
import { datasetFromIdx, type IdxSource } from './idx-parse.js';

/** Where a page serves the bundled split unless told otherwise: `fashion-mnist/` beside it (the demo's build puts it there). */
export const FASHION_MNIST_FOLDER_URL = 'fashion-mnist/';

export const fashionMnistUrlOptions = z
  .object({
    path: z.string().optional().describe(`address of the folder holding the idx files (gz or raw), relative to the page; default ${FASHION_MNIST_FOLDER_URL}`),
    split: z.enum(['train', 'test', 'all']).default('test').describe("'test' (10k, bundled), 'train' (60k) or 'all' (70k)"),
    limit: fashionMnistLimit,
  })
  .strict();

/**
 * Fashion-MNIST fetched from the folder at `folderUrl` (each file as `.gz`, else
 * raw): the same images, labels and class names as the file loader reads.
 */
export async function fetchFashionMnist(split: FashionMnistSplit, folderUrl: string, limit?: number): Promise<HostDataset> {
  const folder = folderUrl.endsWith('/') ? folderUrl : `${folderUrl}/`;
  const parts: HostDataset[] = [];
  const sources: string[] = [];
  for (const part of fashionMnistParts(split)) {
    const names = fashionMnistFiles(part);
    const images = await fetchIdx(new URL(names.images, folder).href);
    const labels = await fetchIdx(new URL(names.labels, folder).href);
    parts.push(datasetFromIdx(images, labels, 'fashion-mnist'));
    sources.push(images.name, labels.name);
  }
  return fashionMnistFromParts(parts, split, sources, limit);
}

/** `<url>.gz`, else `<url>`, gunzipped; an error naming both addresses and what the server said. */
async function fetchIdx(url: string): Promise<IdxSource> {
  const refused: string[] = [];
  for (const name of [`${url}.gz`, url]) {
    let res: Response;
    try {
      res = await fetch(name);
    } catch (err) {
      throw new DataError(`cannot fetch '${name}': ${(err as Error).message}`, { cause: err });
    }
    if (res.ok) return { bytes: await gunzipIfNeeded(new Uint8Array(await res.arrayBuffer()), name), name };
    refused.push(`${name}: HTTP ${res.status}`);
  }
  throw new DataError(`fashion-mnist file not found: ${refused.join('; ')}`);
}

/** `fashion-mnist` where there are no files but addresses: a browser page. */
export const fashionMnistUrlDataset: DatasetFactory<z.output<typeof fashionMnistUrlOptions>> = {
  id: 'fashion-mnist',
  description: `Fashion-MNIST fetched from options.path (an address; default ${FASHION_MNIST_FOLDER_URL} beside the page)`,
  options: fashionMnistUrlOptions,
  defaults: { augmentation: IMAGE_VIEWS, backbone: MLP_BACKBONE },
  async create(o, ctx) {
    return fetchFashionMnist(o.split, new URL(o.path ?? FASHION_MNIST_FOLDER_URL, ctx.baseDir).href, o.limit);
  },
};
