import type * as tfc from '@tensorflow/tfjs-core';
import { biasRelu, tf, type Rng } from '@clusterflow/core';
import { kaimingNormalFanOut, uniformFanIn } from './init.js';
import { leaf, type Module } from './module.js';

export interface Conv2dOptions {
  stride?: number;
  /** Zero padding on every side, as PyTorch's `padding` (default 0). */
  padding?: number;
  /** Add a bias (default true). */
  bias?: boolean;
  /**
   * 'pytorch' (default): U(±1/sqrt(fan_in)) for kernel and bias, as nn.Conv2d.
   * 'kaiming-fan-out': kernel from N(0, 2/fan_out), the ResNet init; bias as PyTorch's.
   */
  init?: 'pytorch' | 'kaiming-fan-out';
}

/**
 * A square 2-D convolution on NHWC input, kernel stored [k, k, in, out] (PyTorch's
 * [out, in, k, k] permuted). Padding is explicit and symmetric like PyTorch's,
 * not TF's 'same', which pads stride-2 convs on the bottom/right only.
 * State keys: 'weight', 'bias'.
 */
export function conv2d(inChannels: number, outChannels: number, kernel: number, rng: Rng, opts: Conv2dOptions = {}): Module {
  const stride = opts.stride ?? 1;
  const padding = opts.padding ?? 0;
  const fanIn = inChannels * kernel * kernel;
  const shape = [kernel, kernel, inChannels, outChannels];
  const vars: Record<string, tfc.Variable> = {
    weight: (opts.init ?? 'pytorch') === 'pytorch' ? uniformFanIn(shape, fanIn, rng) : kaimingNormalFanOut(shape, outChannels * kernel * kernel, rng),
  };
  if (opts.bias ?? true) vars.bias = uniformFanIn([outChannels], fanIn, rng);
  const forward = (x: tfc.Tensor, relu: boolean): tfc.Tensor =>
    tf.tidy(() => {
      if (x.rank !== 4 || x.shape[3] !== inChannels) {
        throw new Error(`conv2d(${inChannels} -> ${outChannels}) wants [B, H, W, ${inChannels}], got [${x.shape}]`);
      }
      const y = tf.conv2d(x as tfc.Tensor4D, vars.weight as tfc.Tensor4D, stride, padding === 0 ? 'valid' : padding);
      if (!vars.bias) return relu ? tf.relu(y) : y;
      return relu ? biasRelu(y, vars.bias) : tf.add(y, vars.bias);
    });
  const module = leaf(vars, Object.keys(vars), (x) => forward(x, false));
  return vars.bias ? { ...module, applyRelu: (x) => forward(x, true) } : module;
}
