import type * as tfc from '@tensorflow/tfjs-core';
import { tf, type Rng } from '@clusterflow/core';
import { l2Normalize } from '../ops/l2-normalize.js';
import { swappedPrediction } from './swapped.js';

/**
 * M_p fixed Gaussian random projections R_m [inDim, outDim], as one tensor
 * [M_p, inDim, outDim], drawn once from `rng`. Entries are N(0, 1/outDim) like
 * sklearn's GaussianRandomProjection in the released code; the scale does not
 * matter since everything projected is re-normalised.
 */
export function randomProjections(count: number, inDim: number, outDim: number, rng: Rng): tfc.Tensor3D {
  return tf.randomNormal([count, inDim, outDim], 0, 1 / Math.sqrt(outDim), 'float32', rng.tfSeed());
}

/**
 * Scores of normalised embeddings z [B, D] against prototypes C [D, K] in each
 * random space: z_m = norm(z R_m), C_m = norm(C^T R_m)^T, s_m = z_m C_m -> [M_p, B, K].
 * All projections run as batched matmuls over R reshaped to [D, M_p * d'].
 */
export function projectedScores(z: tfc.Tensor2D, prototypes: tfc.Tensor2D, projections: tfc.Tensor3D): tfc.Tensor3D {
  return tf.tidy(() => {
    const [p, d, dp] = projections.shape;
    const flat = tf.reshape(tf.transpose(projections, [1, 0, 2]), [d, p * dp]);
    const project = (x: tfc.Tensor2D) =>
      // [rows, M_p, d'] normalised per projection, then [M_p, rows, d'].
      tf.transpose(l2Normalize(tf.reshape(tf.matMul(x, flat), [x.shape[0], p, dp]), 2), [1, 0, 2]) as tfc.Tensor3D;
    const zm = project(z);
    const cm = project(tf.transpose(prototypes) as tfc.Tensor2D);
    return tf.matMul(zm, cm, false, true) as tfc.Tensor3D;
  });
}

/**
 * The consensus loss: for every random projection, swapped prediction of its
 * softmax(s_m / T) against the Sinkhorn targets q of the OTHER view computed on the
 * unprojected scores; the mean over projections (and the two directions).
 */
export function consensusLoss(
  z1: tfc.Tensor2D,
  z2: tfc.Tensor2D,
  prototypes: tfc.Tensor2D,
  projections: tfc.Tensor3D,
  targets1: tfc.Tensor2D,
  targets2: tfc.Tensor2D,
  temperature: number,
): tfc.Scalar {
  return tf.tidy(() =>
    swappedPrediction(projectedScores(z1, prototypes, projections), projectedScores(z2, prototypes, projections), targets1, targets2, temperature),
  );
}
