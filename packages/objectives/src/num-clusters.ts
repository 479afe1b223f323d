import { ConfigError, type ObjectiveContext } from '@clusterflow/core';

/**
 * The number of clusters an objective makes: its own `numClusters` option when
 * given, else the run's. At least 2; the error names the objective.
 */
export function resolveNumClusters(owner: string, option: number | undefined, ctx: Pick<ObjectiveContext, 'numClusters'>): number {
  const k = option ?? ctx.numClusters;
  if (!(Number.isInteger(k) && k >= 2)) throw new ConfigError(`objective '${owner}' needs numClusters >= 2, got ${k}`);
  return k;
}
