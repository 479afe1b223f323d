import { ClusterflowError, ShapeError } from '@clusterflow/core';

/**
 * Checks a pair of labelings before any metric is computed: both non-empty, the
 * same length, and made of integer ids (any integers: negative, sparse or large
 * ids are fine, since every metric first re-encodes them).
 */
export function checkLabelings(fn: string, labels: ArrayLike<number>, clusters: ArrayLike<number>): void {
  if (labels.length !== clusters.length) {
    throw new ShapeError(`${fn}: labels and clusters differ in length (labels: ${labels.length}, clusters: ${clusters.length})`);
  }
  if (labels.length === 0) throw new ShapeError(`${fn}: labels and clusters are empty (length 0)`);
  checkIds(fn, 'labels', labels);
  checkIds(fn, 'clusters', clusters);
}

/** Ids must be integers; a NaN or 0.5 usually means scores were passed instead of ids. */
export function checkIds(fn: string, name: string, ids: ArrayLike<number>): void {
  for (let i = 0; i < ids.length; i++) {
    if (!Number.isInteger(ids[i])) {
      throw new ClusterflowError(`${fn}: ${name}[${i}] is ${ids[i]}, not an integer id (length ${ids.length})`);
    }
  }
}
