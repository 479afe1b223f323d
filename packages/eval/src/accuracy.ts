import { munkres } from 'munkres';
import { confusionMatrix } from './contingency.js';

/**
 * Clustering accuracy (ACC): the fraction of samples whose cluster maps to their
 * class under the best ONE-TO-ONE matching of clusters to classes, found with the
 * Hungarian algorithm on the confusion matrix. With more clusters than classes the
 * surplus clusters stay unmatched and all their samples count as errors; with fewer,
 * the surplus classes are errors. Purity (purity.ts) instead lets every cluster vote
 * for its majority class, MANY-TO-ONE, so several clusters may claim one class:
 * purity >= ACC always, and purity reaches 1 with all-singleton clusters, whereas
 * ACC cannot be inflated by over-clustering.
 */
export function clusterAccuracy(labels: ArrayLike<number>, clusters: ArrayLike<number>): number {
  return matchClusters(labels, clusters).accuracy;
}

export interface ClusterMatch {
  /** Predicted cluster id -> matched class id; unmatched clusters are absent. */
  mapping: Map<number, number>;
  /** Samples on the matched diagonal. */
  correct: number;
  accuracy: number;
}

/** The best one-to-one cluster -> class matching (maximum total overlap). */
export function matchClusters(labels: ArrayLike<number>, clusters: ArrayLike<number>): ClusterMatch {
  const cm = confusionMatrix(labels, clusters);
  // munkres minimises cost on a (possibly rectangular) matrix, workers = rows:
  // rows are clusters, columns classes, cost = -overlap.
  const cost = cm.clusters.map((_, j) => cm.classes.map((_, i) => -cm.counts[i][j]));
  const mapping = new Map<number, number>();
  let correct = 0;
  for (const [j, i] of munkres(cost)) {
    mapping.set(cm.clusters[j], cm.classes[i]);
    correct += cm.counts[i][j];
  }
  return { mapping, correct, accuracy: correct / cm.n };
}
