import type * as tfc from '@tensorflow/tfjs-core';
import { tf, type Backbone } from '@clusterflow/core';
import { readoutScores } from './head-ops.js';
import type { ModelJson } from './model-format.js';
import { preprocess, type ClustererInput } from './preprocess.js';

/** One read-out's answer for N inputs. */
export interface Assignment {
  /** Cluster of each input, [N]. */
  cluster: Int32Array;
  /** The largest probability of each input, [N]. */
  confidence: Float32Array;
  /** Cluster probabilities, row by row: [N * numClusters]. */
  probabilities: Float32Array;
  numClusters: number;
}

/** What `predict` returns: the main read-out's answer, and every read-out's by name. */
export interface Prediction extends Assignment {
  readouts: Record<string, Assignment>;
}

export interface PredictOptions {
  /** Rows per forward pass (default 256). */
  batchSize?: number;
  /** Image tensors already scaled to the model's units (a clusterflow dataset's batches), not 0-255 pixels. */
  scaled?: boolean;
}

/**
 * A trained clusterer: backbone and read-out heads, on the current TF.js backend.
 * It owns its weights; call `dispose()` when done.
 */
export class Clusterer {
  readonly numClusters: number;
  readonly readoutNames: string[];

  constructor(
    readonly model: ModelJson,
    private readonly backbone: Backbone,
    private readonly weights: Record<string, tfc.Tensor>,
  ) {
    this.numClusters = model.numClusters;
    this.readoutNames = model.readouts.map((r) => r.name);
  }

  /** Backbone features [N, featureDim], row by row. */
  async features(input: ClustererInput, opts: PredictOptions = {}): Promise<{ data: Float32Array; dim: number }> {
    const f = this.featureTensor(input, opts);
    try {
      return { data: (await f.data()) as Float32Array, dim: this.backbone.featureDim };
    } finally {
      f.dispose();
    }
  }

  /** Cluster, confidence and probabilities of every input, for every read-out (the main one at the top level). */
  async predict(input: ClustererInput, opts: PredictOptions = {}): Promise<Prediction> {
    const f = this.featureTensor(input, opts);
    try {
      return await this.predictFeatures(f);
    } finally {
      f.dispose();
    }
  }

  /** The read-outs for backbone features [N, featureDim] (what `features` returns). */
  async predictFeatures(features: tfc.Tensor2D): Promise<Prediction> {
    const readouts: Record<string, Assignment> = {};
    for (const spec of this.model.readouts) {
      const [probs, ids, conf] = tf.tidy(() => {
        const scores = readoutScores(spec, features, this.weights);
        const p = tf.softmax(spec.temperature === 1 ? scores : tf.div(scores, spec.temperature));
        // argmax of the scores, as the objectives' own read-outs: ties and rounding as theirs.
        return [p, tf.argMax(scores, 1), tf.max(p, 1)];
      });
      try {
        const k = probs.shape[1] as number;
        readouts[spec.name] = {
          cluster: new Int32Array((await ids.data()) as Int32Array),
          confidence: (await conf.data()) as Float32Array,
          probabilities: (await probs.data()) as Float32Array,
          numClusters: k,
        };
      } finally {
        tf.dispose([probs, ids, conf]);
      }
    }
    return { ...readouts[this.readoutNames[0]], readouts };
  }

  dispose(): void {
    this.backbone.dispose();
    tf.dispose(Object.values(this.weights));
  }

  /** Backbone features [N, featureDim] as a tensor the caller disposes (for `predictFeatures`). */
  featureTensor(input: ClustererInput, opts: PredictOptions = {}): tfc.Tensor2D {
    const x = preprocess(input, this.model.preprocessing, opts);
    try {
      const n = x.shape[0];
      const size = opts.batchSize ?? 256;
      if (n <= size) return tf.tidy(() => this.backbone.apply(x, false));
      const parts: tfc.Tensor2D[] = [];
      try {
        for (let start = 0; start < n; start += size) {
          parts.push(tf.tidy(() => this.backbone.apply(tf.slice(x, start, Math.min(size, n - start)), false)));
        }
        return tf.concat(parts, 0);
      } finally {
        tf.dispose(parts);
      }
    } finally {
      x.dispose();
    }
  }
}
