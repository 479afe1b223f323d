import { confusionMatrix } from './contingency.js';

/**
 * Purity: every cluster is labelled with its majority class (many-to-one, so two
 * clusters may both claim one class) and the fraction of samples that agree is
 * returned. Unlike ACC (accuracy.ts) it rewards over-clustering: singletons score 1.
 */
export function purity(labels: ArrayLike<number>, clusters: ArrayLike<number>): number {
  const cm = confusionMatrix(labels, clusters);
  let agree = 0;
  for (let j = 0; j < cm.clusters.length; j++) {
    let best = 0;
    for (let i = 0; i < cm.classes.length; i++) best = Math.max(best, cm.counts[i][j]);
    agree += best;
  }
  return agree / cm.n;
}
