import { confusionMatrix, marginals, type ConfusionMatrix } from './contingency.js';

/**
 * Normalised mutual information with the arithmetic mean of the two entropies,
 * i.e. scikit-learn's default `normalized_mutual_info_score`, with its limit cases:
 * 1 when both labelings are a single group, 0 when the mutual information is 0.
 */
export function nmi(labels: ArrayLike<number>, clusters: ArrayLike<number>): number {
  const cm = confusionMatrix(labels, clusters);
  if (cm.classes.length === 1 && cm.clusters.length === 1) return 1;
  const mi = miOfConfusion(cm);
  if (mi === 0) return 0;
  const { classSizes, clusterSizes } = marginals(cm);
  const normalizer = (entropyOfSizes(classSizes) + entropyOfSizes(clusterSizes)) / 2;
  return mi / normalizer;
}

/** Mutual information in nats, as scikit-learn's `mutual_info_score`. */
export function mutualInformation(labels: ArrayLike<number>, clusters: ArrayLike<number>): number {
  return miOfConfusion(confusionMatrix(labels, clusters));
}

function miOfConfusion(cm: ConfusionMatrix): number {
  // A single group on either side has zero entropy, hence zero MI.
  if (cm.classes.length === 1 || cm.clusters.length === 1) return 0;
  const { classSizes, clusterSizes } = marginals(cm);
  const n = cm.n;
  let mi = 0;
  for (let i = 0; i < cm.classes.length; i++) {
    for (let j = 0; j < cm.clusters.length; j++) {
      const nij = cm.counts[i][j];
      if (nij === 0) continue;
      const term = (nij / n) * (Math.log(nij) - Math.log(n) - Math.log(classSizes[i] * clusterSizes[j]) + 2 * Math.log(n));
      // scikit-learn zeroes terms below machine epsilon before summing.
      if (Math.abs(term) >= Number.EPSILON) mi += term;
    }
  }
  return Math.max(mi, 0);
}

/** Shannon entropy (nats) of a distribution given by group sizes. */
export function entropyOfSizes(sizes: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < sizes.length; i++) total += sizes[i];
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] > 0) h -= (sizes[i] / total) * (Math.log(sizes[i]) - Math.log(total));
  }
  return h;
}
