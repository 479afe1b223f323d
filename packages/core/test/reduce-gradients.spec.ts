import { expect } from 'chai';
import type { Tensor } from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { input, on } from './support/backend-compare.js';

// Sum's and Mean's gradients (kernels/reduce_gradients.ts, installed by
// selectBackend) against TF.js 4.22's own formula, computed directly: dy
// reshaped to x's rank, times ones(x.shape), divided by the reduced size for
// Mean. Equal to the bit, on the cpu backend and on wasm with the addon's kernels.

const CASES: { shape: number[]; axis: number | number[] | null; keepDims: boolean }[] = [
  { shape: [16, 7, 7, 12], axis: [1, 2], keepDims: false }, // a global mean pool
  { shape: [37, 13], axis: 0, keepDims: false },
  { shape: [37, 13], axis: -1, keepDims: true },
  { shape: [4, 5, 6], axis: [0, 2], keepDims: false },
  { shape: [4, 5, 6], axis: null, keepDims: false },
  { shape: [9], axis: 0, keepDims: true },
];

/** TF.js's Sum_grad / Mean_grad, as written there. */
function tfjsFormula(op: 'sum' | 'mean', x: Tensor, axis: number | number[] | null, dy: Tensor): Tensor {
  const axes = tf.util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape);
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const product = tf.mul(tf.reshape(dy, shape), tf.ones(x.shape, 'float32'));
  return op === 'sum'
    ? product
    : tf.div(
        product,
        axes.reduce((n, a) => n * x.shape[a], 1),
      );
}

describe("Sum's and Mean's gradients without a JavaScript tensor of ones", function () {
  this.timeout(60_000);

  for (const backend of ['cpu', 'wasm'] as const)
    for (const op of ['sum', 'mean'] as const)
      for (const { shape, axis, keepDims } of CASES)
        it(`${backend}: ${op} over ${JSON.stringify(axis)} of [${shape}]${keepDims ? ', keepDims' : ''} gives TF.js's gradient to the bit`, async () => {
          const [got, want] = await on(backend, () => {
            const x = input(shape, 90);
            const reduce = (t: Tensor) => tf[op](t, axis ?? undefined, keepDims);
            const dy = input(reduce(x).shape, 91);
            const dx = tf.grad((t: Tensor) => tf.sum(tf.mul(reduce(t), dy)))(x);
            return [dx, tfjsFormula(op, x, axis, dy)];
          });
          expect(Array.from(got)).to.deep.equal(Array.from(want));
        });

  it('selectBackend installs them: the backward pass fills on the backend (TF.js builds its ones in JavaScript)', async () => {
    await selectBackend('wasm');
    const x = input([8, 3, 3, 4], 92);
    const profile = await tf.profile(() => tf.grad((t: Tensor) => tf.sum(tf.mean(t, [1, 2])))(x));
    expect(profile.kernels.map((k) => k.name)).to.include('Fill');
    tf.dispose([x, profile.result as Tensor]);
  });
});
