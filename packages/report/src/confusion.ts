import { confusionMatrix, matchClusters, type ConfusionMatrix } from '@clusterflow/eval';

/** A confusion matrix (classes x clusters) with the column order its plot uses. */
export interface OrderedConfusion extends Omit<ConfusionMatrix, 'n'> {
  /** Cluster ids, each next to the class it is matched to (Hungarian), so the diagonal shows the match. */
  order: number[];
}

/** Classes against clusters, columns ordered by their matched class: what confusion.svg and the live view draw. */
export function orderedConfusion(labels: ArrayLike<number>, clusters: ArrayLike<number>): OrderedConfusion {
  const { classes, clusters: ids, counts } = confusionMatrix(labels, clusters);
  const { mapping } = matchClusters(labels, clusters);
  const order = [...ids].sort((a, b) => (mapping.get(a) ?? Infinity) - (mapping.get(b) ?? Infinity) || a - b);
  return { classes, clusters: ids, counts, order };
}
