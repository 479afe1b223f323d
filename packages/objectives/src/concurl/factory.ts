import type { ObjectiveFactory } from '@clusterflow/core';
import { ConcurlObjective } from './objective.js';
import { concurlOptions, type ConcurlOptions } from './options.js';

export const concurlFactory: ObjectiveFactory<ConcurlOptions> = {
  id: 'concurl',
  description:
    'ConCURL (Regatti et al., IJCNN 2021): exemplar loss against a memory bank, consensus of ' +
    'cluster assignments across fixed random projections (Sinkhorn targets), optional SwAV population loss',
  options: concurlOptions,
  create: (options, ctx) => new ConcurlObjective(options, ctx),
};
