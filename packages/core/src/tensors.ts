import type * as tf from '@tensorflow/tfjs-core';

/** Named tensors: the form in which every component exposes its state for checkpoints. */
export type TensorMap = Record<string, tf.Tensor>;
