import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { mlpHead, type Module } from '@clusterflow/backbones';
import { countClusters, KMEANS, tf } from '@clusterflow/core';
import type { KMeansService, LossOutput, Objective, ObjectiveBatch, ObjectiveContext, ObjectiveFactory, Readouts } from '@clusterflow/core';
import { resolveNumClusters } from '../num-clusters.js';
import { l2Normalize } from '../ops/l2-normalize.js';
import { projectionHeadOptions } from './head-options.js';
import { NamedHeadsObjective } from './named-modules.js';
import { ntXent } from './ntxent.js';
import { mapRowBlocks, PREDICT_BLOCK, requireTwoViews, twoViews } from './views.js';

/** Options of `simclr`; the defaults are SimCLR's CIFAR recipe. */
export const simclrOptions = z
  .object({
    /** τ of NT-Xent. */
    temperature: z.number().positive().default(0.5),
    ...projectionHeadOptions,
    /**
     * Which features k-means clusters: the backbone's ('kmeans'), the
     * L2-normalised projection head's ('kmeans_head'), or both (backbone first,
     * as the main read-out).
     */
    readout: z.enum(['backbone', 'head', 'both']).default('backbone'),
  })
  .strict();

export type SimclrOptions = z.output<typeof simclrOptions>;

/**
 * SimCLR (Chen et al., ICML 2020) as a clustering method: NT-Xent on a
 * projection head Linear(f,h)-ReLU-Linear(h,projectionDim) over two views, and
 * k-means on the learned features for the clusters (the KMEANS service,
 * @clusterflow/eval's). Loss part: `instance`; no state besides the head, so
 * nothing to commit.
 */
export class SimclrObjective extends NamedHeadsObjective implements Objective {
  readonly id = 'simclr';
  readonly numClusters: number;
  protected readonly heads: { projectionHead: Module };
  private readonly kmeans: KMeansService;
  /** One k-means seed per objective, drawn from the run's rng: predict is repeatable. */
  private readonly kmeansSeed: number;
  private sizes: Record<string, number[]> = {};

  constructor(
    readonly options: SimclrOptions,
    private readonly ctx: ObjectiveContext,
  ) {
    super();
    requireTwoViews(ctx, this.id);
    // Resolved now, so a run without k-means fails before it trains rather than at its first read-out.
    this.kmeans = ctx.services.resolve(KMEANS);
    this.numClusters = resolveNumClusters('simclr', options.numClusters, ctx);
    const f = ctx.featureDim;
    this.heads = {
      projectionHead: mlpHead([f, options.hiddenDim ?? f, options.projectionDim], ctx.rng, { batchNorm: false }),
    };
    this.kmeansSeed = ctx.rng.nextUint32();
  }

  variables(): tfc.Variable[] {
    return this.heads.projectionHead.variables();
  }

  loss(batch: ObjectiveBatch): LossOutput {
    const [ha, hb] = twoViews(batch, this.ctx.featureDim, this.id);
    return tf.tidy(() => {
      const head = this.heads.projectionHead;
      const instance = ntXent(head.apply(ha, true) as tfc.Tensor2D, head.apply(hb, true) as tfc.Tensor2D, this.options.temperature);
      // total and the part are separate tensors so that the caller may dispose both.
      return { total: tf.clone(instance) as tfc.Scalar, parts: { instance } };
    });
  }

  async predict(features: tfc.Tensor2D, options: { signal?: AbortSignal } = {}): Promise<Readouts> {
    const k = this.numClusters;
    const out: Readouts = {};
    const { readout } = this.options;
    const km = { k, seed: this.kmeansSeed, signal: options.signal };
    if (readout !== 'head') {
      out.kmeans = (await this.kmeans(features, km)).labels;
    }
    if (readout !== 'backbone') {
      const z = mapRowBlocks(features, PREDICT_BLOCK, (x) => l2Normalize(this.heads.projectionHead.apply(x, false) as tfc.Tensor2D)) as tfc.Tensor2D;
      try {
        out.kmeans_head = (await this.kmeans(z, km)).labels;
      } finally {
        z.dispose();
      }
    }
    this.sizes = Object.fromEntries(Object.entries(out).map(([name, labels]) => [name, countClusters(labels, k)]));
    return out;
  }

  /** Cluster sizes of the last predict, per read-out. */
  clusterSizes(): Record<string, number[]> {
    return Object.fromEntries(Object.entries(this.sizes).map(([name, s]) => [name, [...s]]));
  }
}

export const simclrFactory: ObjectiveFactory<SimclrOptions> = {
  id: 'simclr',
  description: 'SimCLR (Chen et al. 2020): NT-Xent on a projection head over two views; k-means on the features',
  options: simclrOptions,
  create: (options, ctx) => new SimclrObjective(options, ctx),
};
