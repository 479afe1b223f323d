import { confusionMatrix, marginals } from './contingency.js';

/**
 * Adjusted Rand index, computed from pair counts as scikit-learn's
 * `adjusted_rand_score` (so its special case matches: full agreement, including
 * one class against one cluster and all-singletons against all-singletons, is 1).
 */
export function ari(labels: ArrayLike<number>, clusters: ArrayLike<number>): number {
  const cm = confusionMatrix(labels, clusters);
  const { classSizes, clusterSizes } = marginals(cm);
  const n = cm.n;
  // Ordered pair counts, as in sklearn's pair_confusion_matrix.
  let sumSquares = 0;
  let byClusterSize = 0;
  let byClassSize = 0;
  for (let i = 0; i < cm.classes.length; i++) {
    for (let j = 0; j < cm.clusters.length; j++) {
      const nij = cm.counts[i][j];
      sumSquares += nij * nij;
      byClusterSize += nij * clusterSizes[j];
      byClassSize += nij * classSizes[i];
    }
  }
  const tp = sumSquares - n;
  const fp = byClusterSize - sumSquares;
  const fn = byClassSize - sumSquares;
  const tn = n * n - fp - fn - sumSquares;
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}
