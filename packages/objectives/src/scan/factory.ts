import type { ObjectiveFactory } from '@clusterflow/core';
import { ScanObjective } from './objective.js';
import { scanOptions, type ScanOptions } from './options.js';

export const scanFactory: ObjectiveFactory<ScanOptions> = {
  id: 'scan',
  description:
    'SCAN (Van Gansbeke et al. 2020): a sample and one of its mined nearest neighbours predict alike, with an entropy term; ' +
    'several linear heads, the lowest-loss one read out',
  providesClusterHead: true,
  options: scanOptions,
  create: (options, ctx) => new ScanObjective(options, ctx),
};
