import { tf, type Dataset } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { DataError } from './errors.js';

export interface HostDatasetInit {
  id: string;
  /** All samples, back to back: uint8 pixels (scaled by 1/255 on upload) or float32 values. */
  data: Uint8Array | Float32Array;
  /** Shape of one sample: [H, W, C] or [D]. */
  sampleShape: readonly number[];
  labels?: Int32Array;
  numClasses?: number;
  /** Class names by label id, when known. */
  classNames?: readonly string[];
  description: string;
}

/**
 * A dataset whose samples live in one host typed array. `batch` copies only the
 * requested samples into a float32 buffer and uploads that, so the backend never
 * holds more than one batch. Every loader in this package returns one of these.
 */
export class HostDataset implements Dataset {
  readonly id: string;
  readonly size: number;
  readonly sampleShape: readonly number[];
  readonly labels?: Int32Array;
  readonly numClasses?: number;
  readonly classNames?: readonly string[];
  readonly data: Uint8Array | Float32Array;
  private readonly sampleSize: number;
  private readonly description: string;

  constructor(init: HostDatasetInit) {
    const sampleSize = init.sampleShape.reduce((a, b) => a * b, 1);
    if (sampleSize <= 0) throw new DataError(`${init.id}: sample shape [${init.sampleShape}] is empty`);
    if (init.data.length % sampleSize !== 0) {
      throw new DataError(`${init.id}: ${init.data.length} values are not a whole number of samples of shape [${init.sampleShape}]`);
    }
    const size = init.data.length / sampleSize;
    if (init.labels && init.labels.length !== size) {
      throw new DataError(`${init.id}: ${init.labels.length} labels for ${size} samples`);
    }
    this.id = init.id;
    this.data = init.data;
    this.sampleShape = [...init.sampleShape];
    this.sampleSize = sampleSize;
    this.size = size;
    this.labels = init.labels;
    this.numClasses = init.numClasses ?? (init.labels ? countClasses(init.labels) : undefined);
    this.classNames = init.classNames;
    this.description = init.description;
  }

  batch(indices: Int32Array): tfc.Tensor {
    const d = this.sampleSize;
    const out = new Float32Array(indices.length * d);
    // uint8 pixels become [0, 1]; float vectors are passed through unchanged.
    const scale = this.data instanceof Uint8Array ? 1 / 255 : 1;
    for (let b = 0; b < indices.length; b++) {
      const i = indices[b];
      if (!(i >= 0 && i < this.size) || !Number.isInteger(i)) {
        throw new DataError(`${this.id}: index ${i} is outside [0, ${this.size})`);
      }
      const src = this.data.subarray(i * d, (i + 1) * d);
      const o = b * d;
      if (scale === 1) out.set(src, o);
      else for (let k = 0; k < d; k++) out[o + k] = src[k] * scale;
    }
    return tf.tensor(out, [indices.length, ...this.sampleShape], 'float32');
  }

  describe(): string {
    return this.description;
  }
}

/** Number of classes implied by labels 0..max. */
export function countClasses(labels: Int32Array): number {
  let max = -1;
  for (const l of labels) if (l > max) max = l;
  return max + 1;
}
