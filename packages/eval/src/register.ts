import { KMEANS, KNN, type Registrar } from '@clusterflow/core';
import { kmeans } from './kmeans.js';
import { metricFactories } from './metric-factories.js';
import { nearestNeighbors } from './neighbors.js';

/**
 * Registers the clustering metrics 'acc', 'nmi', 'ari' and 'purity', and the
 * services objectives resolve instead of importing this package: KMEANS
 * (Lloyd's k-means with k-means++ seeding) and KNN (cosine nearest neighbours).
 */
export function register(r: Registrar): void {
  for (const factory of metricFactories) r.metric(factory);
  r.service(KMEANS, kmeans);
  r.service(KNN, nearestNeighbors);
}
