import type { Registrar } from '@clusterflow/core';
import { cifar100Dataset, cifar10Dataset } from './cifar.js';
import { fashionMnistDataset } from './fashion-mnist.js';
import { idxDataset } from './idx.js';
import { imageFolderDataset } from './image-folder.js';
import { vectorsDataset } from './vectors.js';
import { AUGMENTATIONS } from './augment/factories.js';
import { TRANSFORMS } from './augment/transforms.js';

/** Registers this package's datasets, augmentations and the transforms their pipelines name. */
export function register(r: Registrar): void {
  for (const f of [idxDataset, cifar10Dataset, cifar100Dataset, imageFolderDataset, vectorsDataset, fashionMnistDataset]) r.dataset(f);
  for (const f of AUGMENTATIONS) r.augmentation(f);
  for (const f of TRANSFORMS) r.transform(f);
}
