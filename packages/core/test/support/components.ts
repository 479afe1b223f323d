/**
 * Small real components for core's specs: an in-memory vector dataset, an
 * augmentation that adds seeded noise, a linear backbone and a prototype objective.
 * They exercise every seam of the loop without the other packages.
 */
import { z } from 'zod';
import type * as tfc from '@tensorflow/tfjs-core';
import {
  createRegistry,
  Registry,
  ShapeError,
  assignState,
  stateValue,
  tf,
  type AugmentationFactory,
  type BackboneFactory,
  type DatasetFactory,
  type MetricFactory,
  type Objective,
  type ObjectiveFactory,
  type ObjectiveState,
} from '@clusterflow/core';

/** Three well separated blobs in 8 dimensions, labels 0..2, `n` samples. */
export const blobsDataset: DatasetFactory<{ n: number; seed: number }> = {
  id: 'blobs',
  options: z.object({ n: z.number().int().default(96), seed: z.number().default(1) }).strict(),
  async create({ n, seed }) {
    const dim = 8;
    const data = new Float32Array(n * dim);
    const labels = new Int32Array(n);
    let s = seed;
    const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (let d = 0; d < dim; d++) data[i * dim + d] = (d % 3 === labels[i] ? 3 : 0) + 0.3 * rand();
    }
    return {
      id: 'blobs',
      size: n,
      sampleShape: [dim],
      labels,
      numClasses: 3,
      batch: (idx: Int32Array) => tf.tidy(() => tf.gather(tf.tensor2d(data, [n, dim]), tf.tensor1d(idx, 'int32'))),
    };
  },
};

export const noiseAugmentation: AugmentationFactory<{ views: number; std: number }> = {
  id: 'noise',
  options: z.object({ views: z.number().int().default(2), std: z.number().default(0.1) }).strict(),
  create({ views, std }) {
    return {
      id: 'noise',
      numViews: views,
      outputShape: (shape) => [...shape],
      views: (x, rng) => Array.from({ length: views }, () => tf.tidy(() => tf.add(x, tf.randomNormal(x.shape, 0, std, 'float32', rng.tfSeed())))),
    };
  },
};

export const linearBackbone: BackboneFactory<{ dim: number; runningMean: boolean }> = {
  id: 'linear',
  options: z.object({ dim: z.number().int().default(4), runningMean: z.boolean().default(false) }).strict(),
  create({ dim, runningMean }, { inputShape, rng }) {
    const inDim = inputShape.reduce((a, b) => a * b, 1);
    // tf.variable keeps its initial tensor alive unless it is made inside a tidy.
    const w = tf.tidy(() => tf.variable(tf.randomNormal([inDim, dim], 0, 1 / Math.sqrt(inDim), 'float32', rng.tfSeed())));
    const b = tf.tidy(() => tf.variable(tf.zeros([dim])));
    // Like BatchNorm's running statistics: state a training forward pass assigns.
    const mean = tf.tidy(() => tf.variable(tf.zeros([dim]), false));
    return {
      id: 'linear',
      featureDim: dim,
      inputShape,
      variables: () => [w, b],
      apply: (x, training) =>
        tf.tidy(() => {
          const y = tf.add(tf.matMul(tf.reshape(x, [-1, inDim]), w), b) as tfc.Tensor2D;
          if (runningMean && training) assignState(mean, tf.add(tf.mul(stateValue(mean), 0.9), tf.mul(tf.mean(y, 0), 0.1)));
          return y;
        }),
      getState: () => ({ weight: w, bias: b, ...(runningMean ? { running_mean: mean } : {}) }),
      setState: (s) => {
        w.assign(s.weight);
        b.assign(s.bias);
        if (runningMean) mean.assign(s.running_mean);
      },
      dispose: () => tf.dispose([w, b, mean]),
    };
  },
};

/**
 * Prototypes pulled towards their nearest features, plus agreement between views.
 * `nanAtStep` makes the loss NaN at that step, to test the loop's guard.
 * Host state: how often each prototype won, so checkpoints carry a typed array.
 */
export const prototypeObjective: ObjectiveFactory<{ nanAtStep: number; throwAtStep: number; temperature: number; freezeEpoch0: boolean }> = {
  id: 'prototypes',
  providesClusterHead: true,
  options: z
    .object({
      nanAtStep: z.number().int().default(-1),
      throwAtStep: z.number().int().default(-1),
      temperature: z.number().positive().default(1),
      freezeEpoch0: z.boolean().default(false),
    })
    .strict(),
  create({ nanAtStep, throwAtStep, temperature, freezeEpoch0 }, ctx) {
    // A later stage may start from an earlier one's prototypes (its cluster head).
    const protos = tf.tidy(() =>
      tf.variable(ctx.initialHead?.prototypes ?? tf.randomNormal([ctx.numClusters, ctx.featureDim], 0, 1, 'float32', ctx.rng.tfSeed())),
    );
    let wins = new Int32Array(ctx.numClusters);
    const dist = (z: tfc.Tensor2D) =>
      tf.add(tf.sub(tf.sum(tf.square(z), 1, true), tf.mul(2, tf.matMul(z, protos, false, true))), tf.transpose(tf.sum(tf.square(protos), 1, true)));
    const objective: Objective = {
      id: 'prototypes',
      variables: () => [protos],
      // With freezeEpoch0 the prototypes belong to the encoder, which epoch 0 leaves untouched (as SeCu does).
      paramGroups: () => (freezeEpoch0 ? [{ name: 'prototypes', variables: [protos], followsBackbone: true }] : []),
      backboneLrScale: (epoch) => (freezeEpoch0 && epoch === 0 ? 0 : 1),
      loss: ({ views, step }) => {
        if (step === throwAtStep) throw new ShapeError(`prototypes: a bad batch at step ${step}`);
        const [a, b] = views;
        const d = dist(a);
        const soft = tf.softmax(tf.div(tf.neg(d), temperature));
        const assign = tf.mean(tf.sum(tf.mul(soft, d), 1)) as tfc.Scalar;
        const agree = tf.mean(tf.sum(tf.square(tf.sub(a, b)), 1)) as tfc.Scalar;
        const total = step === nanAtStep ? (tf.mul(assign, NaN) as tfc.Scalar) : (tf.add(assign, agree) as tfc.Scalar);
        return { total, parts: { assign, agree }, pending: { winners: tf.argMin(d, 1) } };
      },
      // Host state changes only here, after the loop has checked the loss.
      commit: async (_step, { winners }) => {
        for (const i of await winners.data()) wins[i]++;
      },
      predict: async (features) => {
        const ids = tf.tidy(() => tf.argMin(dist(features), 1));
        const out = new Int32Array(await ids.data());
        ids.dispose();
        return { argmin: out };
      },
      clusterSizes: () => ({ wins: Array.from(wins) }),
      clusterHead: () => ({ prototypes: protos }),
      getState: (): ObjectiveState => ({ prototypes: protos, wins }),
      setState: (s) => {
        protos.assign(s.prototypes as tfc.Tensor);
        wins = Int32Array.from(s.wins as Int32Array);
      },
      dispose: () => protos.dispose(),
    };
    return objective;
  },
};

/** Fraction of samples whose cluster is the most common one of their class (enough for core's specs). */
export const purityMetric: MetricFactory = {
  id: 'purity',
  options: z.object({}).strict(),
  create: () => ({
    id: 'purity',
    compute(labels, clusters) {
      const counts = new Map<number, Map<number, number>>();
      for (let i = 0; i < labels.length; i++) {
        const m = counts.get(clusters[i]) ?? new Map<number, number>();
        m.set(labels[i], (m.get(labels[i]) ?? 0) + 1);
        counts.set(clusters[i], m);
      }
      let hit = 0;
      for (const m of counts.values()) hit += Math.max(...m.values());
      return hit / labels.length;
    },
  }),
};

export function testRegistry(): Registry {
  const r = createRegistry();
  const reg = r.registrar('core-test');
  reg.dataset(blobsDataset);
  reg.augmentation(noiseAugmentation);
  reg.backbone(linearBackbone);
  reg.objective(prototypeObjective);
  reg.metric(purityMetric);
  return r;
}

/** A valid run config over the test components; override what a spec needs. */
export function testConfig(over: Record<string, unknown> = {}) {
  return {
    name: 'core-test',
    seed: 3,
    backend: 'cpu' as const,
    data: { id: 'blobs', options: { n: 96 } },
    augmentation: { id: 'noise' },
    backbone: { id: 'linear' },
    objective: [{ id: 'prototypes' }],
    optimizer: { id: 'sgd' as const, options: { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 } },
    train: { epochs: 2, batchSize: 32 },
    eval: { metrics: ['purity'] },
    ...over,
  };
}
