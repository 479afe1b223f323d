import { ClusterflowError, ShapeError, tf } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';

/**
 * Features must be a non-empty [N, d] tensor of finite numbers. A NaN would not
 * throw anywhere downstream: it silently wins or loses every argmin, so it is
 * caught here and named with its first row. One host sync per call.
 */
export async function checkFeatures(fn: string, name: string, x: tfc.Tensor): Promise<void> {
  if (x.rank !== 2) throw new ShapeError(`${fn}: ${name} must be 2-D [N, d], got shape [${x.shape.join(', ')}]`);
  const [n, d] = x.shape as [number, number];
  if (n === 0 || d === 0) throw new ShapeError(`${fn}: ${name} is empty (shape [${n}, ${d}])`);
  const badRow = tf.tidy(() => {
    const bad = tf.logicalNot(tf.isFinite(x)).any(1);
    return tf.concat([bad.any().cast('int32').reshape([1]), bad.cast('int32').argMax().reshape([1])]);
  });
  const [anyBad, row] = await badRow.data();
  badRow.dispose();
  if (anyBad) {
    throw new ClusterflowError(`${fn}: ${name} [${n}, ${d}] contains NaN or infinite values (first in row ${row})`);
  }
}

/** Labels of a feature matrix: one integer per row. */
export function checkRowLabels(fn: string, name: string, labels: ArrayLike<number>, rows: number): void {
  if (labels.length !== rows) {
    throw new ShapeError(`${fn}: ${name} has ${labels.length} entries but its features have ${rows} rows`);
  }
}

/** No more clusters than rows: k-means++ could not seed them. */
export function checkClusterCount(fn: string, k: number, n: number): void {
  if (k > n) throw new ShapeError(`${fn}: k = ${k} clusters is larger than the number of samples N = ${n}`);
}
