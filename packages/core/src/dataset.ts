import type * as tf from '@tensorflow/tfjs-core';
import type { ComponentRef, Factory } from './factory.js';

/**
 * A dataset keeps its samples in host memory (typed arrays) and uploads only the
 * batch asked for, so the backend never holds more than a batch needs.
 */
export interface Dataset {
  readonly id: string;
  /** Number of samples. */
  readonly size: number;
  /** Shape of one sample: [H, W, C] for images, [D] for vectors. */
  readonly sampleShape: readonly number[];
  /** Class labels (for evaluation only), when the dataset has them. */
  readonly labels?: Int32Array;
  readonly numClasses?: number;
  /** Samples at `indices` as a float32 tensor [B, ...sampleShape] (images in [0, 1]). */
  batch(indices: Int32Array): tf.Tensor;
  /** A short human description: where it came from, the split. */
  describe?(): string;
}

export interface DatasetContext {
  /** Directory that relative paths in options are resolved against (the config's folder). */
  baseDir: string;
}

export interface DatasetFactory<O = any> extends Factory<O, DatasetContext, Promise<Dataset>> {
  /** What a run uses when its config names no augmentation or backbone (image presets, a fitting backbone). */
  readonly defaults?: { augmentation?: ComponentRef; backbone?: ComponentRef };
}
