import type * as tfc from '@tensorflow/tfjs-core';
import { checkState, KMEANS, Rng, ShapeError, tf, throwIfAborted } from '@clusterflow/core';
import type { LossOutput, Objective, ObjectiveBatch, ObjectiveContext, ObjectiveState, Pending, Readouts } from '@clusterflow/core';
import type { KMeansService, StepInfo, StepPlan } from '@clusterflow/core';
import { linear, mlpHead, type Module } from '@clusterflow/backbones';
import { consensusLoss, randomProjections } from './consensus.js';
import { exemplarLoss, updateBank } from './exemplar.js';
import { l2Normalize } from '../ops/l2-normalize.js';
import type { ConcurlOptions } from './options.js';
import { swappedPrediction, swavTargets } from './swapped.js';

/** The plan of one step: its negatives, drawn in prepare() from a copy of the sampler. */
export interface NegativeDraw extends StepPlan {
  step: number;
  negatives: Int32Array;
  /** The copy after the draw: the sampler's state once the step commits. */
  advanced: Rng;
}

/**
 * A state's prototypes whose columns are this close to unit norm are taken as
 * they are: float32 normalisation leaves |‖c‖ − 1| of the order of d·2^-24,
 * and normalising again would move ~10% of the entries by an ulp, so a restored
 * run would not continue bit for bit.
 */
const UNIT_TOLERANCE = 1e-4;

/**
 * ConCURL (Regatti et al., IJCNN 2021) on backbone features h:
 * - exemplar branch v = norm(Linear(h -> 128)), trained by instance discrimination
 *   against a memory bank M [N, 128] of one vector per training image (view 1 only,
 *   as in the released code);
 * - projection head z = norm(Linear-BN-ReLU-Linear(h)) and prototypes C [256, K],
 *   unit columns at every forward: the released code normalises them before each
 *   forward pass; here they are normalised at construction, on restore, and after
 *   every optimizer step (commit), which gives the same values and the same
 *   gradient (straight to the unit prototypes); s = z C;
 * - population loss: SwAV swapped prediction of softmax(s / T) against the other
 *   view's Sinkhorn targets q (no gradient through q);
 * - consensus loss: the same, with the scores in M_p fixed random spaces;
 * - total = alpha·population + beta·exemplar + gamma·consensus.
 * The exemplar and consensus parts are computed only when their weight is > 0
 * (the all-N exemplar logits and the M_p projections are the costly parts); the
 * population part is always computed and reported, as it is a by-product of the
 * consensus targets.
 *
 * Memory: the bank is one non-trainable variable of N x exemplarDim float32, e.g.
 * 70,000 x 128 x 4 bytes = 35.8 MB for 70,000 images; the projections are
 * M_p x 256 x d' floats (64 x 256 x 152 x 4 bytes = 10.0 MB).
 *
 * One step: prepare() draws the sampled negatives (when `negatives` > 0) from a
 * copy of the sampler and returns them as the step's plan; loss() uses them and
 * hands the step's v (from the forward pass with the pre-step weights, what the
 * released LinearAverage uses) out as pending 'v'; commit() scatters
 * normalise(m·M[i] + (1-m)·v_i) into the bank, re-normalises trained prototypes
 * and adopts the sampler's advanced state from the plan. A
 * step that fails its finite check leaves bank, prototypes and sampler as they were.
 *
 * k-means of the read-out comes from the KMEANS service (@clusterflow/eval's).
 *
 * State: 'exemplar.<key>', 'head.<key>' (the Modules' keys), 'prototypes'
 * [projectionDim, K], 'bank' [N, exemplarDim], 'projections' [M_p, projectionDim, d']
 * (tensors, live: read, do not dispose), 'rng' (Int32Array, the sampler of
 * negatives) and 'kmeansSeed' (Int32Array of 1, the read-out's seed). Without the
 * projections a resumed run would optimise another objective.
 */
export class ConcurlObjective implements Objective<NegativeDraw> {
  readonly id = 'concurl';
  readonly numPrototypes: number;
  private readonly exemplar: Module;
  private readonly head: Module;
  private readonly prototypes: tfc.Variable;
  private readonly bank: tfc.Variable;
  private readonly projections: tfc.Variable;
  private readonly negativeRng: Rng;
  private readonly kmeans: KMeansService;
  /** Seed of the k-means read-out, drawn once and checkpointed so a resumed run reads out alike. */
  private kmeansSeed: number;
  private disposed = false;

  constructor(
    readonly options: ConcurlOptions,
    private readonly ctx: ObjectiveContext,
  ) {
    if (ctx.numViews < 2) throw new ShapeError(`concurl needs 2 views per sample, the loop delivers ${ctx.numViews}`);
    // Resolved now, so a run without k-means fails before it trains rather than at its first read-out.
    this.kmeans = ctx.services.resolve(KMEANS);
    const o = options;
    this.numPrototypes = o.numPrototypes ?? ctx.numClusters;
    const rng = ctx.rng;
    this.exemplar = linear(ctx.featureDim, o.exemplarDim, rng);
    this.head = mlpHead([ctx.featureDim, o.projectionHidden, o.projectionDim], rng, { batchNorm: true });
    // nn.Linear(256, K, bias=False) init, stored [in, out], unit columns.
    const protoInit = linear(o.projectionDim, this.numPrototypes, rng, { bias: false });
    this.prototypes = tf.tidy(() => tf.variable(l2Normalize(protoInit.getState().weight, 0), o.trainPrototypes));
    protoInit.dispose();
    // Random unit rows (spec); the released LinearAverage starts from unnormalised uniform rows.
    this.bank = tf.tidy(() => tf.variable(l2Normalize(tf.randomNormal([ctx.numSamples, o.exemplarDim], 0, 1, 'float32', rng.tfSeed())), false));
    this.projections = tf.tidy(() => tf.variable(randomProjections(o.numProjections, o.projectionDim, o.randomDim, rng), false));
    this.negativeRng = rng.fork();
    this.kmeansSeed = rng.int(2 ** 31);
  }

  variables(): tfc.Variable[] {
    const vars = [...this.exemplar.variables(), ...this.head.variables()];
    return this.options.trainPrototypes ? [...vars, this.prototypes] : vars;
  }

  /** Draws the step's negatives from a copy of the sampler; the sampler itself moves on in commit(). */
  async prepare(step: StepInfo): Promise<NegativeDraw | undefined> {
    if (this.options.negatives <= 0 || this.options.beta <= 0) return undefined;
    const advanced = this.negativeRng.clone();
    const negatives = new Int32Array(step.indices.length * this.options.negatives);
    // n uniformly drawn bank rows per batch row (NPID's AliasMethod over uniform weights).
    for (let i = 0; i < negatives.length; i++) negatives[i] = advanced.int(this.ctx.numSamples);
    return { step: step.step, negatives, advanced };
  }

  loss(batch: ObjectiveBatch, plan?: NegativeDraw): LossOutput {
    const o = this.options;
    const { views, indices } = batch;
    if (views.length < 2) throw new ShapeError(`concurl needs 2 views, got ${views.length}`);
    for (const view of views.slice(0, 2)) {
      if (view.rank !== 2 || view.shape[1] !== this.ctx.featureDim || view.shape[0] !== indices.length) {
        throw new ShapeError(`concurl expects views [${indices.length}, ${this.ctx.featureDim}], got [${view.shape}]`);
      }
    }
    const negatives = this.negativesOf(batch, plan);

    return tf.tidy(() => {
      const [h1, h2] = views;
      const parts: Record<string, tfc.Scalar> = {};
      const pending: Pending = {};
      let total = tf.scalar(0);

      if (o.beta > 0) {
        const v = l2Normalize(this.exemplar.apply(h1, true)) as tfc.Tensor2D;
        parts.exemplar = exemplarLoss(v, this.bank as tfc.Tensor2D, indices, o.exemplarTemperature, negatives);
        total = tf.add(total, tf.mul(parts.exemplar, o.beta));
        pending.v = v;
      }

      // Unit columns already (see the class comment): used as they are, as the released code's leaf.
      const c = this.prototypes as tfc.Tensor2D;
      const z1 = l2Normalize(this.head.apply(h1, true)) as tfc.Tensor2D;
      const z2 = l2Normalize(this.head.apply(h2, true)) as tfc.Tensor2D;
      const s1 = tf.matMul(z1, c) as tfc.Tensor2D;
      const s2 = tf.matMul(z2, c) as tfc.Tensor2D;
      const sk = { epsilon: o.epsilon, iterations: o.sinkhornIterations };
      const q1 = swavTargets(s1, sk);
      const q2 = swavTargets(s2, sk);

      parts.population = swappedPrediction(s1, s2, q1, q2, o.temperature);
      if (o.alpha > 0) total = tf.add(total, tf.mul(parts.population, o.alpha));

      if (o.gamma > 0) {
        parts.consensus = consensusLoss(z1, z2, c, this.projections as tfc.Tensor3D, q1, q2, o.temperature);
        total = tf.add(total, tf.mul(parts.consensus, o.gamma));
      }
      return { total: total as tfc.Scalar, parts, pending };
    });
  }

  /** After the optimizer step: the bank takes the step's v, trained prototypes return to unit norm, the sampler moves on. */
  async commit(step: StepInfo, pending: Pending, plan?: NegativeDraw): Promise<void> {
    if (this.options.beta > 0) {
      if (!pending.v) throw new Error('concurl.commit needs the pending exemplar vectors v of its loss()');
      updateBank(this.bank, step.indices, pending.v as tfc.Tensor2D, this.options.bankMomentum);
    }
    if (this.options.trainPrototypes) tf.tidy(() => this.prototypes.assign(l2Normalize(this.prototypes, 0)));
    if (plan) this.negativeRng.setState(plan.advanced.getState());
  }

  /** The projection head: its BatchNorm normalises the prototype read-out's input. */
  readoutModules(): Module[] {
    return [this.head];
  }

  /**
   * Read-outs for features [N, featureDim]: 'kmeans' (k = numClusters on the
   * exemplar vectors v, the paper's evaluation; the main one) and 'prototypes'
   * (argmax of the prototype scores). The heads run in eval mode, in chunks of
   * `predictBatch` rows so the 2048-wide hidden layer stays small; `signal`
   * stops between chunks and inside k-means.
   */
  async predict(features: tfc.Tensor2D, options: { signal?: AbortSignal } = {}): Promise<Readouts> {
    if (features.rank !== 2 || features.shape[1] !== this.ctx.featureDim) {
      throw new ShapeError(`concurl.predict expects [N, ${this.ctx.featureDim}], got [${features.shape}]`);
    }
    const { signal } = options;
    const n = features.shape[0];
    const chunk = this.options.predictBatch;
    const vs: tfc.Tensor2D[] = [];
    const protoLabels = new Int32Array(n);
    try {
      for (let start = 0; start < n; start += chunk) {
        throwIfAborted(signal);
        const size = Math.min(chunk, n - start);
        const [v, labels] = tf.tidy(() => {
          const h = tf.slice(features, [start, 0], [size, -1]);
          const z = l2Normalize(this.head.apply(h, false)) as tfc.Tensor2D;
          return [l2Normalize(this.exemplar.apply(h, false)) as tfc.Tensor2D, tf.argMax(tf.matMul(z, this.prototypes), 1)];
        });
        vs.push(v);
        protoLabels.set(await labels.data(), start);
        labels.dispose();
      }
      const all = vs.length === 1 ? vs[0] : tf.concat(vs, 0);
      try {
        const k = this.ctx.numClusters;
        const km = await this.kmeans(all, { k, nInit: this.options.kmeansInit, seed: this.kmeansSeed, signal });
        return { kmeans: km.labels, prototypes: protoLabels };
      } finally {
        if (all !== vs[0]) all.dispose();
      }
    } finally {
      for (const v of vs) v.dispose();
    }
  }

  getState(): ObjectiveState {
    const state: ObjectiveState = {};
    for (const [k, t] of Object.entries(this.exemplar.getState())) state[`exemplar.${k}`] = t;
    for (const [k, t] of Object.entries(this.head.getState())) state[`head.${k}`] = t;
    state.prototypes = this.prototypes;
    state.bank = this.bank;
    state.projections = this.projections;
    state.rng = Int32Array.from(this.negativeRng.getState(), (w) => w | 0);
    state.kmeansSeed = Int32Array.of(this.kmeansSeed);
    return state;
  }

  /**
   * Restores a state. Prototypes that are not unit columns (a checkpoint of the
   * released code, saved between its step and its next normalisation) are
   * normalised, so the next forward sees what the released code's would.
   */
  setState(state: ObjectiveState): void {
    // Checks everything before assigning anything, so a bad checkpoint changes nothing.
    checkState('concurl', this.getState(), state);
    const sub = (prefix: string) => {
      const out: Record<string, tfc.Tensor> = {};
      for (const [k, t] of Object.entries(state)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t as tfc.Tensor;
      return out;
    };
    this.exemplar.setState(sub('exemplar.'));
    this.head.setState(sub('head.'));
    tf.tidy(() => {
      const p = state.prototypes as tfc.Tensor2D;
      // Decided on the device: a restore reads nothing back (WebGPU in Node cannot read synchronously).
      const unit = tf.lessEqual(tf.max(tf.abs(tf.sub(tf.norm(p, 'euclidean', 0), 1))), UNIT_TOLERANCE);
      this.prototypes.assign(tf.where(unit, p, l2Normalize(p, 0)));
    });
    this.bank.assign(state.bank as tfc.Tensor);
    this.projections.assign(state.projections as tfc.Tensor);
    this.negativeRng.setState(Array.from(state.rng as Int32Array, (w) => w >>> 0));
    this.kmeansSeed = (state.kmeansSeed as Int32Array)[0];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.exemplar.dispose();
    this.head.dispose();
    this.prototypes.dispose();
    this.bank.dispose();
    this.projections.dispose();
  }

  /** The negatives prepare() drew for this step (none when the exemplar loss uses all N rows). */
  private negativesOf(batch: ObjectiveBatch, d: NegativeDraw | undefined): Int32Array | undefined {
    const { negatives, beta } = this.options;
    if (negatives <= 0 || beta <= 0) return undefined;
    if (!d || d.step !== batch.step || d.negatives.length !== batch.indices.length * negatives) {
      throw new Error(`concurl: loss() of step ${batch.step} needs prepare() of that step first, to draw its negatives`);
    }
    return d.negatives;
  }
}
