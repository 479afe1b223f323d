import type { Registrar } from '@clusterflow/core';
import { metricFactories } from './metric-factories.js';

/** Registers the clustering metrics 'acc', 'nmi', 'ari' and 'purity'. */
export function register(r: Registrar): void {
  for (const factory of metricFactories) r.metric(factory);
}
