import { tf, type Rng } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { sqDistances, type PreparedRows } from './distance.js';

/**
 * Greedy k-means++ seeding as in scikit-learn's `_kmeans_plusplus`: the first
 * centre is a uniform row; each next one is the best (lowest resulting potential)
 * of 2 + floor(ln k) candidates drawn with probability proportional to the squared
 * distance to the nearest centre chosen so far. Sampling (cumsum + searchSorted)
 * runs on the backend, so apart from a few random numbers from `rng` nothing
 * crosses to the host.
 */
export function kmeansPlusPlus(rows: PreparedRows, k: number, rng: Rng): tfc.Tensor2D {
  const n = rows.x.shape[0];
  const trials = 2 + Math.floor(Math.log(k));
  return tf.tidy(() => {
    const first = rows.x.slice([rng.int(n), 0], [1, -1]);
    const centres: tfc.Tensor2D[] = [first];
    let closest = sqDistances(rows, first) as tfc.Tensor2D; // [1, N]
    for (let c = 1; c < k; c++) {
      const next = tf.tidy(() => {
        const cum = closest.reshape([n]).cumsum();
        const total = cum.slice([n - 1], [1]);
        const draws = tf.tensor1d(Array.from({ length: trials }, () => rng.float())).mul(total);
        // Clip to N-1: float32 round-off can put a draw past the last partial sum.
        const ids = tf.minimum(tf.searchSorted(cum, draws, 'left'), tf.scalar(n - 1, 'int32')).reshape([trials]);
        const candidates = tf.gather(rows.x, ids) as tfc.Tensor2D;
        // [trials, N]: squared distance to the nearest centre if each candidate were
        // added. Row by row: on wasm a broadcast minimum (and tile) costs 20-40x more.
        const dist = sqDistances(rows, candidates);
        const withCandidate = tf.concat(Array.from({ length: trials }, (_, i) => tf.minimum(dist.slice([i, 0], [1, n]), closest)));
        const best = withCandidate.sum(1).argMin().reshape([1]);
        return {
          bestRow: tf.gather(candidates, best) as tfc.Tensor2D,
          bestDist: tf.gather(withCandidate, best) as tfc.Tensor2D,
        };
      });
      centres.push(next.bestRow);
      closest.dispose();
      closest = next.bestDist;
    }
    return tf.concat(centres) as tfc.Tensor2D;
  });
}
