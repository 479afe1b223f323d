import { checkLabelings } from './validate.js';

/**
 * The confusion (contingency) matrix of classes against clusters, as scikit-learn's
 * `contingency_matrix`: rows are the sorted distinct ground-truth labels, columns the
 * sorted distinct cluster ids, entry [i][j] the number of samples of class i put in
 * cluster j. Ids never have to be 0..K-1; only ids that occur get a row or column.
 */
export interface ConfusionMatrix {
  /** Distinct ground-truth labels, ascending: the row ids. */
  classes: number[];
  /** Distinct predicted cluster ids, ascending: the column ids. */
  clusters: number[];
  /** counts[i][j]: samples of classes[i] assigned to clusters[j]. */
  counts: number[][];
  /** Number of samples. */
  n: number;
}

export function confusionMatrix(labels: ArrayLike<number>, clusters: ArrayLike<number>): ConfusionMatrix {
  checkLabelings('confusionMatrix', labels, clusters);
  const classIds = distinctSorted(labels);
  const clusterIds = distinctSorted(clusters);
  const classIndex = indexOf(classIds);
  const clusterIndex = indexOf(clusterIds);
  const counts = classIds.map(() => new Array<number>(clusterIds.length).fill(0));
  for (let i = 0; i < labels.length; i++) {
    counts[classIndex.get(labels[i])!][clusterIndex.get(clusters[i])!]++;
  }
  return { classes: classIds, clusters: clusterIds, counts, n: labels.length };
}

/** Row sums (class sizes) and column sums (cluster sizes). */
export function marginals(cm: ConfusionMatrix): { classSizes: number[]; clusterSizes: number[] } {
  const classSizes = cm.counts.map((row) => row.reduce((a, b) => a + b, 0));
  const clusterSizes = new Array<number>(cm.clusters.length).fill(0);
  for (const row of cm.counts) row.forEach((v, j) => (clusterSizes[j] += v));
  return { classSizes, clusterSizes };
}

function distinctSorted(ids: ArrayLike<number>): number[] {
  return Array.from(new Set(Array.from(ids))).sort((a, b) => a - b);
}

function indexOf(ids: number[]): Map<number, number> {
  return new Map(ids.map((id, i) => [id, i]));
}
