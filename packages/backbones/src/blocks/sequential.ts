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
    tf.tidy(() => {
      let h: tfc.Tensor = x;
      for (let i = 0; i < layers.length; i++) {
        const layer = layers[i];
        if (!isModule(layer)) {
          h = layer(h);
        } else if (layer.applyRelu && (layers[i + 1] as unknown) === tf.relu) {
          // A bias add then ReLU: one fused op (the same values), and the ReLU layer is done.
          h = layer.applyRelu(h, training);
          i++;
        } else {
          h = layer.apply(h, training);
        }
      }
      return h;
    }),
  );
}
