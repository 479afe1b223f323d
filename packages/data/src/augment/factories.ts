import type { AugmentationFactory } from '@clusterflow/core';
import { identity } from './identity.js';
import { multiViewAugmentation } from './multi-view.js';

/** The augmentations this package registers. */
export const AUGMENTATIONS: readonly AugmentationFactory[] = [multiViewAugmentation, identity];
