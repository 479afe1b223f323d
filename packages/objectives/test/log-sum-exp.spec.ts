import type * as tfc from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { expect } from 'chai';
import { logSumExp } from '../src/ops/log-sum-exp.js';
import { expectClose } from './support/compare.js';

describe('ops/logSumExp', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  for (const [axis, keepDims] of [
    [1, false],
    [0, true],
    [-1, true],
    [-2, false],
  ] as const) {
    it(`has tf.logSumExp's value and gradient (axis ${axis}, keepDims ${keepDims})`, () => {
      const before = tf.memory().numTensors;
      // Large spread (x up to ±60) and a weighting so each output gets its own upstream gradient.
      const x = tf.randomUniform([5, 7], -60, 60, 'float32', 11);
      const outShape = tf.tidy(() => tf.logSumExp(x, axis, keepDims).shape);
      const w = tf.randomUniform(outShape, -1, 1, 'float32', 12);
      const f = (lse: (t: tfc.Tensor) => tfc.Tensor) => tf.valueAndGrad((t: tfc.Tensor) => tf.sum(tf.mul(lse(t), w)))(x);
      const ours = f((t) => logSumExp(t, axis, keepDims));
      const stock = f((t) => tf.logSumExp(t, axis, keepDims));
      expectClose(ours.value.dataSync(), stock.value.dataSync(), 1e-6, 'value');
      expectClose(ours.grad.dataSync(), stock.grad.dataSync(), 1e-6, 'gradient');
      tf.dispose([x, w, ours.value, ours.grad, stock.value, stock.grad]);
      expect(tf.memory().numTensors).to.equal(before);
    });
  }

  it('stays finite with -Infinity entries (a masked logit) and gives them zero gradient', () => {
    const x = tf.tensor2d([
      [-Infinity, 0, 1],
      [2, -Infinity, -Infinity],
    ]);
    const lse = logSumExp(x, 1);
    const { value, grad } = tf.valueAndGrad((t: tfc.Tensor) => tf.sum(logSumExp(t, 1)))(x);
    const v = lse.dataSync();
    expect(v[0]).to.be.closeTo(Math.log(1 + Math.E), 1e-6);
    expect(v[1]).to.be.closeTo(2, 1e-6);
    expect(Array.from(grad.dataSync())).to.deep.equal([0, 1 / (1 + Math.E), Math.E / (1 + Math.E), 1, 0, 0].map(Math.fround));
    expect(value.dataSync()[0]).to.be.closeTo(v[0] + v[1], 1e-6);
    tf.dispose([x, lse, value, grad]);
  });
});
