import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { compose, isModule, type Layer, type Module } from './module.js';

/**
 * Layers applied in order. Plain functions are stateless ops (tf.relu) and, as in
 * PyTorch's nn.Sequential, still take an index, so state keys line up with a
 * PyTorch model built the same way: Sequential(Linear, ReLU, Linear) has '0.weight'
 * and '2.weight'.
 */
export function sequential(...layers: Layer[]): Module {
  const children: Record<string, Module> = {};
  layers.forEach((layer, i) => {
    if (isModule(layer)) children[String(i)] = layer;
  });
  return compose(children, (x, training) =>
    tf.tidy(() => layers.reduce<tfc.Tensor>((h, layer) => (isModule(layer) ? layer.apply(h, training) : layer(h)), x)),
  );
}
