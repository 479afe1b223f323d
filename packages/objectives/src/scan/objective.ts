import type * as tfc from '@tensorflow/tfjs-core';
import type { Module } from '@clusterflow/backbones';
import { checkState, ConfigError, DATASET, LOGGER, neighbourPurity, ShapeError, tf } from '@clusterflow/core';
import type { LossOutput, Objective, ObjectiveBatch, ObjectiveContext, ObjectiveState, Pending, Readouts } from '@clusterflow/core';
import type { Rng, StepInfo, StepPlan, TensorMap } from '@clusterflow/core';
import { linearClusterHead, loadClusterHead } from '../cluster-head.js';
import { mapRowBlocks, PREDICT_BLOCK } from '../contrastive/views.js';
import { resolveNumClusters } from '../num-clusters.js';
import { drawCompanions, mineNeighbours } from './neighbours.js';
import type { ScanOptions } from './options.js';
import { scanHeadLosses } from './scan-loss.js';

/** The plan of one step: its companions, drawn in prepare() from a copy of the sampler. */
export interface CompanionDraw extends StepPlan {
  step: number;
  companions: Int32Array;
  /** The copy after the draw: the sampler's state once the step commits. */
  advanced: Rng;
}

/**
 * SCAN (Van Gansbeke et al., ECCV 2020), its clustering step, on backbone
 * features: H linear cluster heads Linear(featureDim -> K) trained so that a
 * sample and one of its mined nearest neighbours get the same prediction, with
 * an entropy term that keeps the mean prediction spread.
 *
 * Mining: once in the objective's life, at its first epoch start, the k nearest
 * neighbours of every sample on the current features (EMBED, then KNN). They are
 * host state and checkpointed ([N, k] Int32Array), so a resumed run keeps them
 * rather than mining again from a backbone that has moved since.
 *
 * One step: prepare() draws for every batch row one of the sample and its k
 * neighbours (from a copy of the sampler) and returns them in the step's plan
 * as companions, which the loop augments like the batch and passes through the
 * backbone. loss(): per head SCAN's loss of view 0 of the batch (anchors)
 * against view 0 of the companions; total = the sum over heads, as scan_train
 * back-propagates (utils/train_utils.py). Parts: `consistency` (the heads'
 * consistency terms, summed) and `entropy` (−entropyWeight · the heads'
 * entropies, summed, so negative); total = consistency + entropy. Further views
 * are not used (a run of SCAN alone wants `views: 1`). commit() adds each head's
 * loss to the epoch's sums and adopts the sampler's advanced state from the plan.
 *
 * The best head: the one with the lowest mean loss over the current epoch's
 * steps (over the last completed epoch when read at its end). SCAN picks the
 * lowest SCAN loss of the un-augmented validation set after each epoch
 * (scan.py, scan_evaluate); the training loss needs no extra pass. It is the main
 * read-out ('cluster', its argmax), `clusterHead()` (for a self-label stage) and
 * the `bestHead` diagnostic; every head is read out too ('head<h>').
 *
 * `ctx.initialHead` (a linear head { weight [featureDim, K], bias [K] }) starts
 * head 0; the others start fresh, so the heads still differ. The generator draws
 * every head's initialisation either way, so a seed gives the same other heads.
 *
 * Diagnostics at epoch end: `knnPurity`, the fraction of mined neighbours that
 * share their sample's label (when the dataset has labels), and `bestHead`.
 *
 * State: 'head<h>.weight', 'head<h>.bias' (tensors, live), 'neighbours'
 * (Int32Array N·k), 'mined' (Int32Array of 1), 'rng' (the companion sampler),
 * 'headLoss' (Float32Array H: the epoch's sums) and 'headLossCount' (Int32Array:
 * its epoch and steps).
 */
export class ScanObjective implements Objective<CompanionDraw> {
  readonly id = 'scan';
  readonly numClusters: number;
  private readonly heads: Module[];
  private readonly sampler: Rng;
  private readonly neighbours: Int32Array;
  private mined = false;
  private readonly headLoss: Float32Array;
  /** [epoch, steps] of the sums in headLoss. */
  private readonly headLossCount = Int32Array.of(-1, 0);
  private purity?: number;
  private disposed = false;

  constructor(
    readonly options: ScanOptions,
    private readonly ctx: ObjectiveContext,
  ) {
    if (ctx.numViews < 1) throw new ShapeError(`scan needs a view per sample, the loop delivers ${ctx.numViews}`);
    this.numClusters = resolveNumClusters('scan', options.numClusters, ctx);
    if (options.k > ctx.numSamples - 1) {
      throw new ConfigError(`objective 'scan' mines k = ${options.k} neighbours per sample, but the dataset has ${ctx.numSamples} samples`);
    }
    this.heads = Array.from({ length: options.numHeads }, () => linearClusterHead(ctx.featureDim, this.numClusters, ctx.rng));
    if (ctx.initialHead) {
      try {
        loadClusterHead(this.heads[0], ctx.initialHead, this.id);
      } catch (err) {
        this.dispose();
        throw err;
      }
    }
    this.sampler = ctx.rng.fork();
    this.neighbours = new Int32Array(ctx.numSamples * options.k);
    this.headLoss = new Float32Array(options.numHeads);
  }

  variables(): tfc.Variable[] {
    return this.heads.flatMap((h) => h.variables());
  }

  /** Mines the neighbours the first time, and only then. */
  async onEpochStart(): Promise<void> {
    if (this.mined) return;
    const { k } = this.options;
    const neighbours = await mineNeighbours(this.ctx.services, k);
    if (neighbours.length !== this.neighbours.length) {
      throw new ShapeError(`scan: mined ${neighbours.length / k} samples' neighbours, the run has ${this.ctx.numSamples}`);
    }
    this.neighbours.set(neighbours);
    this.mined = true;
    this.purity = undefined;
    const purity = this.knnPurity();
    this.ctx.services
      .resolve(LOGGER)
      .info(`scan: mined the ${k} nearest neighbours of ${this.ctx.numSamples} samples${purity === undefined ? '' : ` (kNN purity ${purity.toFixed(3)})`}`);
  }

  /** Draws each row's companion from a copy of the sampler; the sampler itself moves on in commit(). */
  async prepare(step: StepInfo): Promise<CompanionDraw> {
    if (!this.mined) throw new Error('scan: no neighbours yet; they are mined at the first epoch start (onEpochStart)');
    const advanced = this.sampler.clone();
    const companions = drawCompanions(this.neighbours, this.options.k, step.indices, advanced);
    return { step: step.step, companions, advanced };
  }

  loss(batch: ObjectiveBatch): LossOutput {
    const anchors = batch.views[0];
    const neighbours = batch.companions?.[0];
    const [b, f] = [batch.indices.length, this.ctx.featureDim];
    if (!neighbours) throw new ShapeError('scan: loss() needs the companions its prepare() asked for (batch.companions)');
    for (const t of [anchors, neighbours]) {
      if (!t || t.rank !== 2 || t.shape[0] !== b || t.shape[1] !== f) {
        throw new ShapeError(`scan expects anchors and companions [${b}, ${f}], got [${anchors?.shape}] and [${neighbours.shape}]`);
      }
    }
    const { entropyWeight } = this.options;
    return tf.tidy(() => {
      const per = scanHeadLosses(this.logits(anchors), this.logits(neighbours), entropyWeight);
      const consistency = tf.sum(per.consistency) as tfc.Scalar;
      const entropy = tf.mul(tf.sum(per.entropy), -entropyWeight) as tfc.Scalar;
      return { total: tf.sum(per.total) as tfc.Scalar, parts: { consistency, entropy }, pending: { headLoss: per.total } };
    });
  }

  /** Adds the step's per-head losses to the epoch's sums; the sampler adopts the draw. */
  async commit(step: StepInfo, pending: Pending, plan?: CompanionDraw): Promise<void> {
    const t = pending.headLoss;
    if (!t || t.size !== this.heads.length) throw new ShapeError(`scan.commit needs the pending 'headLoss' [${this.heads.length}] of its loss()`);
    const values = (await t.data()) as Float32Array;
    if (this.headLossCount[0] !== step.epoch) {
      this.headLoss.fill(0);
      this.headLossCount.set([step.epoch, 0]);
    }
    for (let h = 0; h < values.length; h++) this.headLoss[h] += values[h];
    this.headLossCount[1] += 1;
    if (plan?.step === step.step) this.sampler.setState(plan.advanced.getState());
  }

  /** The head with the lowest mean loss over the epoch's steps so far (head 0 before any). */
  bestHead(): number {
    if (this.headLossCount[1] === 0) return 0;
    let best = 0;
    for (let h = 1; h < this.headLoss.length; h++) if (this.headLoss[h] < this.headLoss[best]) best = h;
    return best;
  }

  /** 'cluster': argmax of the best head; 'head<h>': every head's (when there are several). */
  async predict(features: tfc.Tensor2D): Promise<Readouts> {
    if (features.rank !== 2 || features.shape[1] !== this.ctx.featureDim) {
      throw new ShapeError(`scan.predict expects [N, ${this.ctx.featureDim}], got [${features.shape}]`);
    }
    const H = this.heads.length;
    const n = features.shape[0];
    const labels = mapRowBlocks(features, PREDICT_BLOCK, (x) => tf.argMax(this.logits(x), 2));
    const all = (await labels.data()) as Int32Array;
    labels.dispose();
    const perHead = Array.from({ length: H }, (_, h) => Int32Array.from({ length: n }, (_, i) => all[i * H + h]));
    const out: Readouts = { cluster: perHead[this.bestHead()] };
    if (H > 1) perHead.forEach((ids, h) => (out[`head${h}`] = ids));
    return out;
  }

  diagnostics(): Record<string, number> {
    const purity = this.knnPurity();
    return { ...(purity === undefined ? {} : { knnPurity: purity }), bestHead: this.bestHead() };
  }

  /** The best head's live weights { weight, bias } (the loop copies them for the next stage). */
  clusterHead(): TensorMap {
    return this.heads[this.bestHead()].getState();
  }

  getState(): ObjectiveState {
    const state: ObjectiveState = {};
    this.heads.forEach((head, h) => {
      for (const [k, t] of Object.entries(head.getState())) state[`head${h}.${k}`] = t;
    });
    state.neighbours = this.neighbours;
    state.mined = Int32Array.of(this.mined ? 1 : 0);
    state.rng = Int32Array.from(this.sampler.getState(), (w) => w | 0);
    state.headLoss = this.headLoss;
    state.headLossCount = this.headLossCount;
    return state;
  }

  setState(state: ObjectiveState): void {
    // Checks everything before assigning anything, so a bad checkpoint changes nothing.
    checkState('scan', this.getState(), state);
    this.heads.forEach((head, h) => head.setState({ weight: state[`head${h}.weight`] as tfc.Tensor, bias: state[`head${h}.bias`] as tfc.Tensor }));
    this.neighbours.set(state.neighbours as Int32Array);
    this.mined = (state.mined as Int32Array)[0] === 1;
    this.sampler.setState(Array.from(state.rng as Int32Array, (w) => w >>> 0));
    this.headLoss.set(state.headLoss as Float32Array);
    this.headLossCount.set(state.headLossCount as Int32Array);
    this.purity = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const h of this.heads) h.dispose();
  }

  /** Logits of every head, [B, H, K], from one product with the heads' weights side by side. */
  private logits(x: tfc.Tensor2D): tfc.Tensor3D {
    return tf.tidy(() => {
      const states = this.heads.map((h) => h.getState());
      const w = tf.concat(
        states.map((s) => s.weight),
        1,
      );
      const bias = tf.concat(
        states.map((s) => s.bias),
        0,
      );
      return tf.reshape(tf.add(tf.matMul(x, w as tfc.Tensor2D), bias), [x.shape[0], this.heads.length, this.numClusters]) as tfc.Tensor3D;
    });
  }

  /** kNN purity of the mined neighbours, when mined and the dataset has labels. */
  private knnPurity(): number | undefined {
    if (!this.mined || !this.ctx.services.has(DATASET)) return undefined;
    const labels = this.ctx.services.resolve(DATASET).labels;
    if (!labels) return undefined;
    this.purity ??= neighbourPurity(this.neighbours, this.options.k, labels);
    return this.purity;
  }
}
