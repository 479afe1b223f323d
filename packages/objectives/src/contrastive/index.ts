// The contrastive objectives: SimCLR's NT-Xent and Contrastive Clustering (CC).
export * from './ntxent.js';
export * from './cluster-contrastive.js';
export * from './named-modules.js';
export * from './simclr.js';
export * from './cc.js';

import type { ObjectiveFactory } from '@clusterflow/core';
import { ccFactory } from './cc.js';
import { simclrFactory } from './simclr.js';

/** The contrastive objectives, for the package's register(). */
export const contrastiveObjectives: ObjectiveFactory[] = [simclrFactory, ccFactory];
