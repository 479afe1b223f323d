/**
 * One optimizer step for one variable as one kernel, where the active backend
 * has it (wasm with @clusterflow/native: native-optim.ts, one pass on the
 * addon's threads). Composed of tf ops, as core's optimizers do elsewhere, SGD
 * with momentum and decay runs 6 elementwise kernels over the parameters and
 * Adam 12, single-threaded on wasm, each a full read and write of them.
 *
 * The optimizers (optim/sgd.ts, optim/adam.ts) call these first and compose
 * the ops themselves when they return false: other backends, other dtypes.
 */
import { tf } from '../backend/tfjs.js';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';

/** Inputs { p, g, buf? }, attrs SgdStepAttrs; outputs [p', buf'] (buf' only with buf). */
export const SGD_STEP = 'ClusterflowSgdStep';
/** Inputs { p, g, m, v }, attrs AdamStepAttrs; outputs [p', m', v']. */
export const ADAM_STEP = 'ClusterflowAdamStep';

export interface SgdStepAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export interface AdamStepAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: p *= 1 - lr·wd before the moments; Adam: g += wd·p. */
  decoupled: boolean;
  /** Bias corrections 1 - beta1^t and 1 - beta2^t. */
  c1: number;
  c2: number;
}

function fusable(name: string, p: Tensor, tensors: Tensor[]): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined && [p, ...tensors].every((t) => t.dtype === 'float32' && t.size === p.size);
}

/**
 * p (and buf, when momentum is used) take one SGD step from gradient g, fused.
 * False, changing nothing, where the backend has no fused kernel.
 */
export function fusedSgdStep(p: Variable, g: Tensor, buf: Variable | undefined, attrs: SgdStepAttrs): boolean {
  if (!fusable(SGD_STEP, p, buf ? [g, buf] : [g])) return false;
  const inputs: Record<string, Tensor> = buf ? { p, g, buf } : { p, g };
  const [np, nb] = tf.engine().runKernel(SGD_STEP, inputs, attrs as unknown as Record<string, number | boolean>) as Tensor[];
  p.assign(np);
  if (buf) buf.assign(nb);
  tf.dispose(buf ? [np, nb] : [np]);
  return true;
}

/** p, m and v take one Adam/AdamW step from gradient g, fused. False, changing nothing, where the backend has no fused kernel. */
export function fusedAdamStep(p: Variable, g: Tensor, m: Variable, v: Variable, attrs: AdamStepAttrs): boolean {
  if (!fusable(ADAM_STEP, p, [g, m, v])) return false;
  const out = tf.engine().runKernel(ADAM_STEP, { p, g, m, v }, attrs as unknown as Record<string, number | boolean>) as Tensor[];
  p.assign(out[0]);
  m.assign(out[1]);
  v.assign(out[2]);
  tf.dispose(out);
  return true;
}
