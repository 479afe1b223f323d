import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import type { HeadOp, ReadoutSpec } from './model-format.js';

/** The same epsilon as PyTorch's F.normalize and the objectives' l2Normalize. */
const NORM_EPS = 1e-12;

/** Rows (axis 1) or columns (axis 0) to unit L2 norm, as the objectives compute it: x * rsqrt(max(sum x^2, eps^2)). */
function l2Normalize(x: tfc.Tensor2D, axis: 0 | 1): tfc.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), NORM_EPS * NORM_EPS)));
}

/** Scores [N, K] of a read-out for features [N, f]; call inside tf.tidy. */
export function readoutScores(spec: ReadoutSpec, features: tfc.Tensor2D, weights: Record<string, tfc.Tensor>): tfc.Tensor2D {
  let x = features;
  for (const op of spec.ops) x = applyOp(op, x, weights);
  return x;
}

function applyOp(op: HeadOp, x: tfc.Tensor2D, w: Record<string, tfc.Tensor>): tfc.Tensor2D {
  switch (op.op) {
    case 'linear': {
      const y: tfc.Tensor2D = tf.matMul(x, w[op.weight] as tfc.Tensor2D);
      return op.bias ? (tf.add(y, w[op.bias]) as tfc.Tensor2D) : (y as tfc.Tensor2D);
    }
    case 'batchnorm': {
      // The formula of the backbones' BatchNorm in eval mode, op for op, so the values match it exactly.
      const scale = tf.mul(w[op.gamma], tf.rsqrt(tf.add(w[op.variance], op.epsilon)));
      return tf.add(tf.mul(tf.sub(x, w[op.mean]), scale), w[op.beta]) as tfc.Tensor2D;
    }
    case 'relu':
      return tf.relu(x);
    case 'l2normalize':
      return l2Normalize(x, 1);
    case 'matmul': {
      const m = w[op.weight] as tfc.Tensor2D;
      return tf.matMul(x, op.normalizeColumns ? l2Normalize(m, 0) : m);
    }
  }
}

/** The weight names an op reads, to check a model before using it. */
export function opWeights(op: HeadOp): string[] {
  switch (op.op) {
    case 'linear':
      return op.bias ? [op.weight, op.bias] : [op.weight];
    case 'batchnorm':
      return [op.mean, op.variance, op.gamma, op.beta];
    case 'matmul':
      return [op.weight];
    default:
      return [];
  }
}

export const HEAD_OPS: readonly HeadOp['op'][] = ['linear', 'batchnorm', 'relu', 'l2normalize', 'matmul'];
