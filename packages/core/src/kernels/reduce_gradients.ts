/**
 * Sum's and Mean's gradients without a tensor of ones built in JavaScript.
 * TF.js 4.22's own (gradients/Sum_grad, Mean_grad) multiply dy by
 * `ones(x.shape)`, a typed array filled in JavaScript and uploaded on every
 * backward pass (then garbage), and divide the full-size product by the reduced
 * size for Mean: for the ConvNet's global mean over [128, 7, 7, 128] that was
 * most of the 10 ms a step spent outside kernels. Here the ones come from the
 * backend's Fill kernel, and Mean divides dy while it is small. The values are
 * the same to the bit: dy * 1 / n is dy / n * 1. (Broadcasting with Tile instead
 * took 22 ms a call on wasm, which tiles element by element.)
 */
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend/tfjs.js';

/** dy reshaped to x's rank (1 on each reduced axis), and the number of elements each output summed. */
function expanded(dy: Tensor, x: Tensor, attrs: NamedAttrMap): { dy: Tensor; count: number } {
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const shape = x.shape.slice();
  let count = 1;
  for (const a of axes) {
    count *= shape[a];
    shape[a] = 1;
  }
  return { dy: tf.reshape(dy, shape), count };
}

/** dy, shaped with 1 on the reduced axes, repeated along them to x's shape (as float32, like TF.js's). */
const broadcast = (dy: Tensor, x: Tensor): Tensor => tf.mul(dy, tf.fill(x.shape, 1, 'float32'));

const sumGradient: GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => ({ x: () => broadcast(expanded(dy as Tensor, x, attrs).dy, x) }),
};

const meanGradient: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => ({
    x: () => {
      const e = expanded(dy as Tensor, x, attrs);
      return broadcast(tf.div(e.dy, e.count), x);
    },
  }),
};

const GRADIENTS = [sumGradient, meanGradient];

/** The kernels whose gradients these replace (for tools that put TF.js's own back). */
export const REDUCE_GRADIENT_KERNELS = GRADIENTS.map((g) => g.kernelName);

const OURS = Symbol.for('clusterflow.gradients.reduce');

/** Installs both, once. Global, like every TF.js gradient: every backend runs them. */
export function registerReduceGradients(): void {
  for (const config of GRADIENTS) {
    if ((tf.getGradient(config.kernelName) as { [OURS]?: true } | undefined)?.[OURS]) continue;
    tf.registerGradient({ ...config, [OURS]: true } as GradConfig);
  }
}
