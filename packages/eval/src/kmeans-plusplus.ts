import { tf, type Rng } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { chunkRows } from './distance.js';

/**
 * Greedy k-means++ seeding as in scikit-learn's `_kmeans_plusplus`: the first
 * centre is a uniform row; each next one is the best (lowest resulting potential)
 * of 2 + floor(ln k) candidates drawn with probability proportional to the squared
 * distance to the nearest centre chosen so far. Sampling (cumsum + searchSorted)
 * runs on the backend, so apart from a few random numbers from `rng` nothing
 * crosses to the host.
 */
export function kmeansPlusPlus(x: tfc.Tensor2D, xSq: tfc.Tensor2D, k: number, rng: Rng): tfc.Tensor2D {
  const n = x.shape[0];
  const trials = 2 + Math.floor(Math.log(k));
  return tf.tidy(() => {
    const first = x.slice([rng.int(n), 0], [1, -1]);
    const centres: tfc.Tensor2D[] = [first];
    let closest = sqDistTo(x, xSq, first).reshape([n]) as tfc.Tensor1D;
    for (let c = 1; c < k; c++) {
      const next = tf.tidy(() => {
        const cum = closest.cumsum();
        const total = cum.slice([n - 1], [1]);
        const draws = tf.tensor1d(Array.from({ length: trials }, () => rng.float())).mul(total);
        // Clip to N-1: float32 round-off can put a draw past the last partial sum.
        const ids = tf.minimum(tf.searchSorted(cum, draws, 'left'), tf.scalar(n - 1, 'int32')).reshape([trials]);
        const candidates = tf.gather(x, ids) as tfc.Tensor2D;
        // [N, trials]: squared distance to the nearest centre if each candidate were added.
        const withCandidate = tf.minimum(sqDistTo(x, xSq, candidates), closest.reshape([n, 1]));
        const best = withCandidate.sum(0).argMin();
        const bestRow = tf.gather(candidates, best.reshape([1])) as tfc.Tensor2D;
        const bestCol = tf.gather(withCandidate, best.reshape([1]), 1).reshape([n]) as tfc.Tensor1D;
        return { bestRow, bestCol };
      });
      centres.push(next.bestRow);
      closest.dispose();
      closest = next.bestCol;
    }
    return tf.concat(centres) as tfc.Tensor2D;
  });
}

/** [N, m] squared distances from every row to each of m points, chunked over rows. */
function sqDistTo(x: tfc.Tensor2D, xSq: tfc.Tensor2D, points: tfc.Tensor2D): tfc.Tensor2D {
  return tf.tidy(() => {
    const n = x.shape[0];
    const pSq = points.square().sum(1);
    // Explicit transpose: matMul's transposeB flag is several times slower on wasm.
    const minus2T = points.mul(-2).transpose();
    const one = (xs: tfc.Tensor2D, xsq: tfc.Tensor2D) =>
      tf.relu(tf.matMul(xs, minus2T).add(pSq).add(xsq));
    const rows = chunkRows(n, points.shape[0]);
    if (rows >= n) return one(x, xSq) as tfc.Tensor2D;
    const parts: tfc.Tensor[] = [];
    for (let s = 0; s < n; s += rows) {
      const size = Math.min(rows, n - s);
      parts.push(one(x.slice([s, 0], [size, -1]), xSq.slice([s, 0], [size, 1])));
    }
    return tf.concat(parts) as tfc.Tensor2D;
  });
}
