import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '../backend/tfjs.js';
import type { RunParts } from '../run.js';
import { throwIfAborted } from './abort.js';

/** Backbone features (inference mode) of the whole dataset, batch by batch, as one [N, f] tensor. */
export async function embed(run: Pick<RunParts, 'dataset' | 'augmentation' | 'backbone'>, batchSize: number, signal?: AbortSignal): Promise<tfc.Tensor2D> {
  const { dataset, backbone } = run;
  const input = inferenceInput(run);
  const buf = new Float32Array(dataset.size * backbone.featureDim);
  for (let start = 0; start < dataset.size; start += batchSize) {
    throwIfAborted(signal);
    const idx = new Int32Array(Math.min(batchSize, dataset.size - start)).map((_, i) => start + i);
    const f = tf.tidy(() => backbone.apply(input(idx), false));
    try {
      buf.set((await f.data()) as Float32Array, start * backbone.featureDim);
    } finally {
      f.dispose();
    }
  }
  return tf.tensor2d(buf, [dataset.size, backbone.featureDim]);
}

/**
 * The backbone's input for rows `idx` as evaluation sees them: un-augmented, resized
 * to the size the augmentation trains at where its crops change it (evaluation sees
 * the whole image at that size).
 */
export function inferenceInput(run: Pick<RunParts, 'dataset' | 'augmentation'>): (idx: Int32Array) => tfc.Tensor {
  const { dataset, augmentation } = run;
  const outShape = augmentation.outputShape(dataset.sampleShape);
  const resize = outShape.length === 3 && outShape.join() !== dataset.sampleShape.join();
  return (idx) =>
    tf.tidy(() => {
      const x = dataset.batch(idx);
      return resize ? tf.image.resizeBilinear(x as tfc.Tensor4D, [outShape[0], outShape[1]]) : x;
    });
}
