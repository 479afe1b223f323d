import type * as tfc from '@tensorflow/tfjs-core';
import { biasRelu, tf, type Rng } from '@clusterflow/core';
import { uniformFanIn } from './init.js';
import { leaf, type Module } from './module.js';

export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
}

/**
 * y = x·W + b with W stored [in, out] (PyTorch's weight transposed), initialised
 * as PyTorch does: W and b from U(±1/sqrt(in)). State keys: 'weight', 'bias'.
 */
export function linear(inDim: number, outDim: number, rng: Rng, opts: LinearOptions = {}): Module {
  const vars: Record<string, tfc.Variable> = { weight: uniformFanIn([inDim, outDim], inDim, rng) };
  if (opts.bias ?? true) vars.bias = uniformFanIn([outDim], inDim, rng);
  const forward = (x: tfc.Tensor, relu: boolean): tfc.Tensor =>
    tf.tidy(() => {
      if (x.shape[x.rank - 1] !== inDim) {
        throw new Error(`linear(${inDim}, ${outDim}) got input of shape [${x.shape}]`);
      }
      const y = tf.matMul(x as tfc.Tensor2D, vars.weight as tfc.Tensor2D);
      if (!vars.bias) return relu ? tf.relu(y) : y;
      return relu ? biasRelu(y, vars.bias) : tf.add(y, vars.bias);
    });
  const module = leaf(vars, Object.keys(vars), (x) => forward(x, false));
  return vars.bias ? { ...module, applyRelu: (x) => forward(x, true) } : module;
}
