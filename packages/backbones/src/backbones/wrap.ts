import type * as tfc from '@tensorflow/tfjs-core';
import { ShapeError, tf, type Backbone } from '@clusterflow/core';
import type { Module } from '../blocks/module.js';

/**
 * Turns a module into a Backbone: checks the input's shape against what the
 * backbone was built for, so a wrong dataset fails with a message naming both
 * shapes instead of deep inside a matMul.
 */
export function wrapBackbone(
  id: string,
  featureDim: number,
  inputShape: readonly number[],
  module: Module,
  checkInput: (x: tfc.Tensor) => string | undefined,
): Backbone {
  return {
    id,
    featureDim,
    inputShape: [...inputShape],
    variables: () => module.variables(),
    apply(x, training) {
      const problem = checkInput(x);
      if (problem) throw new ShapeError(`backbone '${id}' (input [${inputShape}]): ${problem}, got [${x.shape}]`);
      return tf.tidy(() => module.apply(x, training) as tfc.Tensor2D);
    },
    getState: () => module.getState(),
    setState: (state) => module.setState(state),
    dispose: () => module.dispose(),
  };
}

/** Product of a shape's sizes. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
