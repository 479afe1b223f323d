import type { Registrar } from '@clusterflow/core';
import { AUGMENTATIONS } from './augment/factories.js';
import { TRANSFORMS } from './augment/transforms.js';
import { fashionMnistUrlDataset } from './fashion-mnist-fetch.js';

/**
 * Registers what a browser can use of this package: Fashion-MNIST fetched from
 * the page's server, the augmentations and their transforms. A page's own images
 * come in through `datasetFromImageFiles` and `imageFilesDataset`, arrays through
 * `inMemoryDataset`.
 */
export function register(r: Registrar): void {
  r.dataset(fashionMnistUrlDataset);
  for (const f of AUGMENTATIONS) r.augmentation(f);
  for (const f of TRANSFORMS) r.transform(f);
}
