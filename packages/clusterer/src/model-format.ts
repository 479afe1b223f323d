/**
 * What `clusterflow export` writes and `loadClusterer` reads: model.json (this
 * interface) beside binary weight shards in TF.js's weights format (a tf.io
 * weights manifest). Everything here is data: component ids, options, shapes
 * and a fixed set of head operations; a loader runs none of it as code.
 */
export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: 1;
  /** The backbone: a registered id, its options, and the input shape it was built for. Weights: 'backbone/<key>'. */
  backbone: { id: string; options: unknown; inputShape: number[] };
  /** What turns an input into the backbone's input: the run's evaluation preprocessing. */
  preprocessing: Preprocessing;
  /** The clusters the run asked for. */
  numClusters: number;
  /** The read-outs, main one first; each is a small sequence of ops on the backbone's features. */
  readouts: ReadoutSpec[];
  /** TF.js's weights manifest: the shard files and the tensors in them, in order. */
  weightsManifest: WeightsGroup[];
  /** sha256 (hex) of the shards' bytes, concatenated in manifest order; checked on load. */
  weightsSha256: string;
  /** Where it came from, for people: no paths of the machine that trained it. */
  trainedWith?: { run: string; objective: string; epoch: number; step: number; exportedAt: string };
}

export const MODEL_FORMAT = 'clusterflow-clusterer';

/** One entry of TF.js's weights manifest (tf.io.WeightsManifestGroupConfig, restated to keep this file dependency-free). */
export interface WeightsGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[];
}

export type Preprocessing =
  /**
   * Images: pixels (0-255) times `pixelScale`, converted to `inputShape`'s
   * channels (gray <-> RGB, alpha dropped), resized bilinearly to its H x W (as
   * evaluation does: tf.image.resizeBilinear, no corner alignment).
   */
  | { input: 'image'; inputShape: [number, number, number]; pixelScale: number }
  /** Vectors of `dim` float values, passed through unchanged. */
  | { input: 'vectors'; dim: number };

/**
 * A read-out: `ops` map features [N, f] to scores [N, K]; probabilities are
 * softmax(scores / temperature) and the cluster is their argmax.
 */
export interface ReadoutSpec {
  name: string;
  ops: HeadOp[];
  temperature: number;
}

/** The operations a head is built from; weights are named entries of the manifest. */
export type HeadOp =
  /** x·W + b, W stored [in, out]. */
  | { op: 'linear'; weight: string; bias?: string }
  /** Eval-mode BatchNorm: (x - mean) / sqrt(var + eps) * gamma + beta. */
  | { op: 'batchnorm'; mean: string; variance: string; gamma: string; beta: string; epsilon: number }
  | { op: 'relu' }
  /** Rows scaled to unit L2 norm (x / max(|x|, 1e-12), as F.normalize). */
  | { op: 'l2normalize' }
  /** x·M with M [in, K]; `normalizeColumns` scales M's columns to unit norm first (cosine to centres). */
  | { op: 'matmul'; weight: string; normalizeColumns?: boolean };
