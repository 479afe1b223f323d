import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { mlpHead, softmaxHead, type Module } from '@clusterflow/backbones';
import { countClusters, tf } from '@clusterflow/core';
import type { LossOutput, Objective, ObjectiveBatch, ObjectiveContext, ObjectiveFactory, Pending, Readouts, StepInfo } from '@clusterflow/core';
import { resolveNumClusters } from '../num-clusters.js';
import { clusterContrastiveLoss } from './cluster-contrastive.js';
import { projectionHeadOptions } from './head-options.js';
import { NamedHeadsObjective } from './named-modules.js';
import { ntXent } from './ntxent.js';
import { mapRowBlocks, PREDICT_BLOCK, requireTwoViews, twoViews } from './views.js';

/** Options of `cc`; the defaults are the official CIFAR recipe's. */
export const ccOptions = z
  .object({
    /** τ_I of the instance-level NT-Xent. */
    instanceTemperature: z.number().positive().default(0.5),
    /** τ_C of the cluster-level NT-Xent. */
    clusterTemperature: z.number().positive().default(1.0),
    ...projectionHeadOptions,
    /** Weight of the entropy term, the lever against collapse to a few clusters. */
    entropyWeight: z.number().min(0).default(1.0),
  })
  .strict();

export type CcOptions = z.output<typeof ccOptions>;

/**
 * Contrastive Clustering (Li et al., AAAI 2021). Two heads on the backbone
 * features: an instance head Linear(f,h)-ReLU-Linear(h,projectionDim) trained
 * with NT-Xent (τ_I), and a cluster head Linear(f,h)-ReLU-Linear(h,K)-Softmax
 * whose columns are contrasted across views (τ_C) with an entropy term.
 *
 * Loss parts: `instance` (NT-Xent of the instance head), `cluster` (NT-Xent over
 * the 2K cluster columns), `entropy` (-entropyWeight · (H(Y_a) + H(Y_b)), so it
 * is negative); total = instance + cluster + entropy.
 * Read-out `cluster`: argmax of the cluster head on un-augmented features.
 * Per-epoch cluster sizes count the argmax of view 1's training forward (the
 * head has no BatchNorm, so it equals the eval-mode one), handed to commit().
 */
export class CcObjective extends NamedHeadsObjective implements Objective {
  readonly id = 'cc';
  readonly numClusters: number;
  protected readonly heads: { instanceHead: Module; clusterHead: Module };
  /** Sizes of the last predict, or of the training epoch so far, whichever is newer. */
  private sizes: number[] | undefined;
  private epochCounts: number[] | undefined;
  private countingEpoch = -1;

  constructor(
    readonly options: CcOptions,
    private readonly ctx: ObjectiveContext,
  ) {
    super();
    requireTwoViews(ctx, this.id);
    this.numClusters = resolveNumClusters('cc', options.numClusters, ctx);
    const f = ctx.featureDim;
    const h = options.hiddenDim ?? f;
    this.heads = {
      instanceHead: mlpHead([f, h, options.projectionDim], ctx.rng, { batchNorm: false }),
      clusterHead: softmaxHead([f, h, this.numClusters], ctx.rng, { batchNorm: false }),
    };
  }

  variables(): tfc.Variable[] {
    return [...this.heads.instanceHead.variables(), ...this.heads.clusterHead.variables()];
  }

  loss(batch: ObjectiveBatch): LossOutput {
    const [ha, hb] = twoViews(batch, this.ctx.featureDim, this.id);
    const { instanceTemperature, clusterTemperature, entropyWeight } = this.options;
    return tf.tidy(() => {
      const { instanceHead, clusterHead } = this.heads;
      // ntXent L2-normalises the rows, as the official model does after its instance head.
      const instance = ntXent(instanceHead.apply(ha, true) as tfc.Tensor2D, instanceHead.apply(hb, true) as tfc.Tensor2D, instanceTemperature);
      const ya = clusterHead.apply(ha, true) as tfc.Tensor2D;
      const yb = clusterHead.apply(hb, true) as tfc.Tensor2D;
      const { contrast, entropy } = clusterContrastiveLoss(ya, yb, { temperature: clusterTemperature, entropyWeight });
      const entropyPart = tf.mul(entropy, -entropyWeight) as tfc.Scalar;
      const total = tf.addN([instance, contrast, entropyPart]) as tfc.Scalar;
      const assignments = tf.argMax(ya, 1);
      return { total, parts: { instance, cluster: contrast, entropy: entropyPart }, pending: { assignments } };
    });
  }

  onEpochStart(epoch: number): void {
    this.startCounting(epoch);
  }

  /** Counts the step's hard assignments of view 1, for per-epoch cluster sizes. */
  async commit(step: StepInfo, pending: Pending): Promise<void> {
    if (!pending.assignments) throw new Error("cc.commit needs the pending 'assignments' of its loss()");
    const labels = await pending.assignments.data();
    if (step.epoch !== this.countingEpoch || !this.epochCounts) this.startCounting(step.epoch);
    countClusters(labels, this.numClusters, this.epochCounts);
    this.sizes = this.epochCounts;
  }

  async predict(features: tfc.Tensor2D): Promise<Readouts> {
    const labels = mapRowBlocks(features, PREDICT_BLOCK, (x) => tf.argMax(this.heads.clusterHead.apply(x, false), 1));
    const cluster = new Int32Array(await labels.data());
    labels.dispose();
    this.sizes = countClusters(cluster, this.numClusters);
    return { cluster };
  }

  clusterSizes(): Record<string, number[]> {
    return this.sizes ? { cluster: [...this.sizes] } : {};
  }

  private startCounting(epoch: number): void {
    this.countingEpoch = epoch;
    this.epochCounts = new Array<number>(this.numClusters).fill(0);
  }
}

export const ccFactory: ObjectiveFactory<CcOptions> = {
  id: 'cc',
  description: 'Contrastive Clustering (Li et al. 2021): instance NT-Xent + cluster-column NT-Xent with an entropy term; argmax of the cluster head',
  options: ccOptions,
  create: (options, ctx) => new CcObjective(options, ctx),
};
