/**
 * The throughput models, written with raw tf ops so the work matches
 * /work/shared/bench/torch_steps.py exactly: same layers, same batch, loss
 * mean(out^2), plain SGD at lr 1e-3, and the same FLOP convention (3x the
 * forward's matmul/conv FLOPs; bias, ReLU, pooling, loss, update uncounted).
 */
import { tf } from '../src/backend/tfjs.js';
import type { Tensor, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';

/** One benchmark model: its variables, its input and its forward pass. */
export interface BenchModel {
  name: string;
  batch: number;
  /** Counted FLOPs of one training step (3x forward). */
  flopsPerStep: number;
  variables: Variable[];
  input: Tensor;
  forward(x: Tensor): Tensor;
  dispose(): void;
}

/** Uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)), PyTorch's default scale; the values do not affect speed. */
function param(shape: number[], fanIn: number): Variable {
  const b = 1 / Math.sqrt(fanIn);
  return tf.variable(tf.randomUniform(shape, -b, b, 'float32', 7));
}

export function mlp(batch = 256): BenchModel {
  const dims = [784, 500, 500, 2000, 128];
  const ws: Variable[] = [], bs: Variable[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    ws.push(param([dims[i], dims[i + 1]], dims[i]));
    bs.push(param([dims[i + 1]], dims[i]));
  }
  let fwd = 0;
  for (let i = 0; i + 1 < dims.length; i++) fwd += 2 * batch * dims[i] * dims[i + 1];
  const input = tf.randomUniform([batch, 784], 0, 1, 'float32', 1);
  return {
    name: 'mlp', batch, flopsPerStep: 3 * fwd, variables: [...ws, ...bs], input,
    forward(x) {
      let h = x as Tensor2D;
      ws.forEach((w, i) => {
        h = tf.add(tf.matMul(h, w), bs[i]);
        if (i < ws.length - 1) h = tf.relu(h);
      });
      return h;
    },
    dispose() { input.dispose(); [...ws, ...bs].forEach((v) => v.dispose()); },
  };
}

/** torch_steps.py's CNN in NHWC: conv3x3(32)-relu-maxpool2, conv3x3(64)-relu-maxpool2, conv3x3(128)-relu, global mean, linear 128. */
export function convnet(batch = 128): BenchModel {
  const convs = [[1, 32], [32, 64], [64, 128]].map(([ci, co]) => ({ w: param([3, 3, ci, co], 9 * ci), b: param([co], 9 * ci) }));
  const fcW = param([128, 128], 128), fcB = param([128], 128);
  const fwd = 2 * batch * (28 * 28 * 32 * 1 * 9 + 14 * 14 * 64 * 32 * 9 + 7 * 7 * 128 * 64 * 9 + 128 * 128);
  const input = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  return {
    name: 'cnn', batch, flopsPerStep: 3 * fwd, input,
    variables: [...convs.flatMap((c) => [c.w, c.b]), fcW, fcB],
    forward(x) {
      let h = x as Tensor4D;
      convs.forEach(({ w, b }, i) => {
        h = tf.relu(tf.add(tf.conv2d(h, w as Tensor4D, 1, 'same'), b)) as Tensor4D;
        if (i < 2) h = tf.maxPool(h, 2, 2, 'valid');
      });
      return tf.add(tf.matMul(tf.mean(h, [1, 2]) as Tensor2D, fcW), fcB);
    },
    dispose() { input.dispose(); this.variables.forEach((v) => v.dispose()); },
  };
}

/** One training step: forward, backward, SGD update; returns the loss (read back, as torch's loss.item()). */
export function trainStep(model: BenchModel, lr = 1e-3): number {
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(model.input);
      return tf.mean(tf.square(out)) as tf.Scalar;
    }, model.variables);
    for (const v of model.variables) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
    return value;
  });
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}
