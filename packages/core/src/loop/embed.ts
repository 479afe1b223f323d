import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '../backend/tfjs.js';
import type { RunParts } from '../run.js';
import { throwIfAborted } from './abort.js';

/** Backbone features (inference mode) of the whole dataset, batch by batch, as one [N, f] tensor. */
export async function embed(run: Pick<RunParts, 'dataset' | 'augmentation' | 'backbone'>, batchSize: number, signal?: AbortSignal): Promise<tfc.Tensor2D> {
  const { dataset, augmentation, backbone } = run;
  const outShape = augmentation.outputShape(dataset.sampleShape);
  const resize = outShape.length === 3 && outShape.join() !== dataset.sampleShape.join();
  const buf = new Float32Array(dataset.size * backbone.featureDim);
  for (let start = 0; start < dataset.size; start += batchSize) {
    throwIfAborted(signal);
    const idx = new Int32Array(Math.min(batchSize, dataset.size - start)).map((_, i) => start + i);
    const f = tf.tidy(() => {
      let x = dataset.batch(idx);
      // Crops change the training size; evaluation sees the whole image at that size.
      if (resize) x = tf.image.resizeBilinear(x as tfc.Tensor4D, [outShape[0], outShape[1]]);
      return backbone.apply(x, false);
    });
    try {
      buf.set((await f.data()) as Float32Array, start * backbone.featureDim);
    } finally {
      f.dispose();
    }
  }
  return tf.tensor2d(buf, [dataset.size, backbone.featureDim]);
}
