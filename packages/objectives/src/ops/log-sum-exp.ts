import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';

/**
 * log Σ exp(x) along `axis`, with PyTorch's gradient: dy · softmax(x).
 *
 * tf.logSumExp is max + log Σ exp(x - max), and TF.js differentiates that
 * literally: max's gradient is a broadcast `Equal` over the whole input, whose
 * contribution cancels out anyway. On wasm that Equal alone took 1.0 s per step
 * for ConCURL's [256, 70000] exemplar logits. Here the forward pass keeps
 * e = exp(x - max) and s = Σ e, and the gradient is e · dy / s: no second Exp
 * (an Exp over 18M entries is 150 ms on single-threaded wasm).
 * The value is tf.logSumExp's, by the same ops (stable for any spread; -Infinity
 * entries allowed as long as a row has a finite one).
 */
export function logSumExp<T extends tfc.Tensor>(x: tfc.Tensor, axis: number, keepDims = false): T {
  const ax = axis < 0 ? x.rank + axis : axis;
  const op = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const input = args[0] as tfc.Tensor;
    const save = args[1] as tfc.GradSaveFunc;
    const max = tf.max(input, ax, true);
    const e = tf.exp(tf.sub(input, max));
    const s = tf.sum(e, ax, true);
    const lse = tf.add(tf.log(s), max);
    save([e, s]);
    return {
      value: keepDims ? lse : tf.squeeze(lse, [ax]),
      gradFunc: (dy: tfc.Tensor | tfc.Tensor[], saved: tfc.Tensor[]) => {
        const [es, ss] = saved;
        const g = keepDims ? (dy as tfc.Tensor) : tf.expandDims(dy as tfc.Tensor, ax);
        return tf.mul(es, tf.div(g, ss));
      },
    };
  });
  return op(x) as T;
}
