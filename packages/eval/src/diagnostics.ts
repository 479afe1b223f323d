import { ClusterflowError, collapseWarning } from '@clusterflow/core';
import { entropyOfSizes } from './nmi.js';

export interface ClusterDiagnostics {
  /** Rows per cluster id 0..k-1. */
  sizes: number[];
  /** Entropy (nats) of the cluster-size distribution. */
  entropy: number;
  /** entropy / ln k: 1 for equal sizes, 0 when everything is in one cluster. */
  normalizedEntropy: number;
  emptyClusters: number;
  /** Share of all rows held by the largest cluster. */
  largestShare: number;
  /** Set when the clustering looks collapsed; names the counts. */
  warning?: string;
}

export interface ClusterDiagnosticsOptions {
  /**
   * Warn when the largest cluster holds more than this many times the uniform share
   * 1/k (default 3). Empty clusters always warn.
   */
  maxShareRatio?: number;
}

/**
 * Per-epoch health of a clustering: sizes, balance, and a collapse warning, the
 * common failure of deep clustering (everything drifting into a few clusters).
 */
export function clusterDiagnostics(clusters: ArrayLike<number>, k: number, opts: ClusterDiagnosticsOptions = {}): ClusterDiagnostics {
  const maxShareRatio = opts.maxShareRatio ?? 3;
  if (!Number.isInteger(k) || k < 1) throw new ClusterflowError(`clusterDiagnostics: k must be a positive integer, got ${k}`);
  if (clusters.length === 0) throw new ClusterflowError('clusterDiagnostics: clusters is empty (length 0)');
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < clusters.length; i++) {
    const c = clusters[i];
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw new ClusterflowError(`clusterDiagnostics: clusters[${i}] is ${c}, not an id in 0..${k - 1} (k = ${k})`);
    }
    sizes[c]++;
  }
  const n = clusters.length;
  const entropy = entropyOfSizes(sizes);
  const normalizedEntropy = k > 1 ? entropy / Math.log(k) : 1;
  const emptyClusters = sizes.filter((s) => s === 0).length;
  const largest = Math.max(...sizes);
  const largestShare = largest / n;
  const result: ClusterDiagnostics = { sizes, entropy, normalizedEntropy, emptyClusters, largestShare };
  const warning = collapseWarning(sizes, maxShareRatio);
  if (warning) result.warning = warning;
  return result;
}
