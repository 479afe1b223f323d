import type * as tfc from '@tensorflow/tfjs-core';
import { checkState, ShapeError, tf } from '@clusterflow/core';
import type { LossOutput, Objective, ObjectiveBatch, ObjectiveContext, ObjectiveState, ParamGroup, Pending, Readouts, StepInfo } from '@clusterflow/core';
import { mlpHead, type Module } from '@clusterflow/backbones';
import { assignLabels, type ConstraintTerms } from './assign.js';
import { entropyTerms, entropyTermsFirstEpoch } from './assign-entropy.js';
import { sizeTerms } from './assign-size.js';
import { centerSimilarities, clusterCenterLoss } from './center-loss.js';
import { createHeadMemory, recordLabels, storedLabels, type HeadMemory } from './head-memory.js';
import { l2Normalize } from '../ops/l2-normalize.js';
import type { SecuConfig } from './options.js';
import { representationLoss } from './representation-loss.js';

/**
 * SeCu (Qian, ICCV 2023): a projector g, H heads of centers C_h [dim, K_h], and
 * per-instance label memories on the host.
 *
 * loss(): z = normalize(g(features)) per view; per head the assignment runs on
 * the device, ŷ = argmin(−½(S¹+S²) + constraint terms), where the terms (duals,
 * or the entropy deltas) come from the pre-batch host state; then the center
 * loss with ŷ (gradient to C_h only) and the representation loss against the
 * epoch-start snapshot P_h with y_mem = ŷ in epoch 0 and the stored labels after
 * (gradient to g and the backbone only). loss = (Σ_h L_x,h + Σ_h L_c,h) / 2H
 * (spec §3.5). Nothing is read back in loss(): each head's ŷ goes out as
 * pending 'labels.<h>' (int32 [B]).
 *
 * commit(): one read of every head's ŷ, then per head the official order
 * (pitfall 5): read y_mem, update duals/counts from their pre-batch values, write
 * ŷ. A step that fails its finite check never commits, so the memories stay.
 *
 * State names: 'projection.<key>' (the projector's), 'centers.<h>', 'snapshot.<h>'
 * (tensors); 'labels.<h>', 'counts.<h>' (Int32Array) and 'duals.<h>' (Float32Array,
 * size variant) on the host.
 */
export class SecuObjective implements Objective {
  readonly id = 'secu';
  /** Read-out names, 'head<h>-k<K>', in head order. */
  readonly headNames: string[];
  private readonly projection: Module;
  private readonly centers: tfc.Variable[];
  private snapshots: tfc.Tensor2D[];
  private readonly memory: HeadMemory[];
  private disposed = false;

  constructor(
    readonly config: SecuConfig,
    private readonly ctx: ObjectiveContext,
  ) {
    if (ctx.numViews < 2) throw new ShapeError(`secu needs 2 views per sample, the loop delivers ${ctx.numViews}`);
    const { ks, hidden, dim } = config;
    this.headNames = ks.map((k, h) => `head${h}-k${k}`);
    this.projection = mlpHead([ctx.featureDim, hidden, dim], ctx.rng, { batchNorm: true });
    // F.normalize(randn(dim, K), dim=0): unit columns, stored unnormalised from then on.
    this.centers = ks.map((k) => tf.tidy(() => tf.variable(l2Normalize(tf.randomNormal([dim, k], 0, 1, 'float32', ctx.rng.tfSeed()), 0), true)));
    this.snapshots = this.centers.map((c) => l2Normalize(c as tfc.Tensor2D, 0));
    this.memory = ks.map((k) => createHeadMemory(k, ctx.numSamples, config.constraint === 'size'));
  }

  variables(): tfc.Variable[] {
    return [...this.projection.variables(), ...this.centers];
  }

  /** The centers train at their own constant lr `clr`; the projector uses the run's schedule. */
  paramGroups(): ParamGroup[] {
    // The projector belongs to the encoder in the official code: frozen with it in epoch 0.
    return [
      { name: 'centers', variables: [...this.centers], lr: this.config.clr },
      { name: 'projection', variables: this.projection.variables(), followsBackbone: true },
    ];
  }

  /** Epoch 0 trains only the centers: the encoder's lr is exactly 0 (spec §4). */
  backboneLrScale(epoch: number): number {
    return epoch === 0 ? 0 : 1;
  }

  /** P_h = normalize(C_h), frozen for the epoch; the size variant's counters restart. */
  onEpochStart(_epoch: number): void {
    for (const s of this.snapshots) s.dispose();
    this.snapshots = this.centers.map((c) => l2Normalize(c as tfc.Tensor2D, 0));
    if (this.config.constraint === 'size') for (const m of this.memory) m.counts.fill(0);
  }

  /** Total and parts ('representation', 'center'), each already divided by 2H; pending 'labels.<h>'. */
  loss(batch: ObjectiveBatch): LossOutput {
    const { indices, views, epoch } = batch;
    if (views.length < 2) throw new ShapeError(`secu needs 2 views, got ${views.length}`);
    const [v1, v2] = views;
    const b = indices.length;
    for (const v of [v1, v2]) {
      if (v.rank !== 2 || v.shape[0] !== b || v.shape[1] !== this.ctx.featureDim) {
        throw new ShapeError(`secu expects views [${b}, ${this.ctx.featureDim}], got [${v.shape}]`);
      }
    }
    const { ks, tw, tx, tau } = this.config;
    // Read from the pre-batch host state, which only commit() changes.
    const heads = this.memory.map((mem) => {
      const stored = epoch === 0 ? undefined : storedLabels(mem, indices);
      return { stored, terms: this.constraintTerms(mem, epoch, stored) };
    });
    return tf.tidy(() => {
      // Each view through BN separately, as two forward passes in PyTorch.
      const z1 = l2Normalize(this.projection.apply(v1, true) as tfc.Tensor2D, 1);
      const z2 = l2Normalize(this.projection.apply(v2, true) as tfc.Tensor2D, 1);
      const pending: Pending = {};
      let lx: tfc.Scalar = tf.scalar(0);
      let lc: tfc.Scalar = tf.scalar(0);
      ks.forEach((_, h) => {
        const s1 = centerSimilarities(z1, this.centers[h] as tfc.Tensor2D);
        const s2 = centerSimilarities(z2, this.centers[h] as tfc.Tensor2D);
        const labels = assignLabels(tf.mul(tf.add(s1, s2), -0.5) as tfc.Tensor2D, heads[h].terms);
        const stored = heads[h].stored;
        const memoryLabels = stored ? tf.tensor1d(stored, 'int32') : labels;
        lc = tf.add(lc, clusterCenterLoss(s1, s2, labels, tw));
        lx = tf.add(lx, representationLoss(z1, z2, this.snapshots[h], memoryLabels, tx, tau));
        pending[`labels.${h}`] = labels;
      });
      const scale = 1 / (2 * ks.length);
      const representation = tf.mul(lx, scale) as tfc.Scalar;
      const center = tf.mul(lc, scale) as tfc.Scalar;
      return { total: tf.add(representation, center) as tfc.Scalar, parts: { representation, center }, pending };
    });
  }

  /** Writes every head's labels of a finite step into its memory (one device read for all heads). */
  async commit(step: StepInfo, pending: Pending): Promise<void> {
    const b = step.indices.length;
    const labels = this.memory.map((_, h) => {
      const t = pending[`labels.${h}`];
      if (!t || t.size !== b) throw new ShapeError(`secu.commit needs pending 'labels.${h}' of ${b} labels`);
      return t;
    });
    const all = tf.stack(labels);
    let values: Int32Array;
    try {
      values = (await all.data()) as Int32Array;
    } finally {
      all.dispose();
    }
    const dual = { dualLr: this.config.dualLr, lratio: this.config.lratio };
    this.memory.forEach((mem, h) => recordLabels(mem, values.subarray(h * b, (h + 1) * b), step.indices, step.epoch, dual));
  }

  /** What the head's constraint adds to its scores, from the pre-batch duals or counts (spec §3.2). */
  private constraintTerms(mem: HeadMemory, epoch: number, stored?: Int32Array): ConstraintTerms | undefined {
    if (mem.duals) return sizeTerms(mem.duals);
    if (epoch === 0) return entropyTermsFirstEpoch(mem.counts, this.config.alpha);
    return entropyTerms(mem.counts, stored!, this.config.alpha);
  }

  /**
   * argmax_k normalize(g(x))·normalize(C_h[:, k]) with eval-mode BN, for every head;
   * the head with K = numClusters first (spec §8).
   */
  async predict(features: tfc.Tensor2D): Promise<Readouts> {
    const order = [this.config.mainHead, ...this.config.ks.map((_, h) => h).filter((h) => h !== this.config.mainHead)];
    const ids = tf.tidy(() => {
      const z = l2Normalize(this.projection.apply(features, false) as tfc.Tensor2D, 1);
      return order.map((h) => tf.argMax(tf.matMul(z, l2Normalize(this.centers[h] as tfc.Tensor2D, 0)), 1));
    });
    const out: Readouts = {};
    for (let i = 0; i < order.length; i++) {
      out[this.headNames[order[i]]] = Int32Array.from((await ids[i].data()) as Int32Array);
      ids[i].dispose();
    }
    return out;
  }

  /** The projector: its BatchNorm normalises the read-out's input. */
  readoutModules(): Module[] {
    return [this.projection];
  }

  /** Size variant: this epoch's assignment counts; entropy variant: the global sizes. */
  clusterSizes(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    this.memory.forEach((m, h) => (out[this.headNames[h]] = Array.from(m.counts)));
    return out;
  }

  /** The host memories of head h (read-only views, for diagnostics and tests). */
  headMemory(h: number): HeadMemory {
    return this.memory[h];
  }

  getState(): ObjectiveState {
    const state: ObjectiveState = {};
    for (const [key, value] of Object.entries(this.projection.getState())) state[`projection.${key}`] = value;
    this.memory.forEach((m, h) => {
      state[`centers.${h}`] = this.centers[h];
      state[`snapshot.${h}`] = this.snapshots[h];
      // Copies: a checkpoint must not change when training goes on.
      state[`labels.${h}`] = m.labels.slice();
      state[`counts.${h}`] = m.counts.slice();
      if (m.duals) state[`duals.${h}`] = m.duals.slice();
    });
    return state;
  }

  setState(state: ObjectiveState): void {
    // Checks everything before assigning anything, so a bad checkpoint changes nothing.
    checkState('secu', this.getState(), state);
    this.memory.forEach((m, h) => {
      const labels = state[`labels.${h}`] as Int32Array;
      if (labels.some((y) => y < 0 || y >= m.k)) throw new ShapeError(`secu state 'labels.${h}' has labels outside [0, ${m.k})`);
    });
    const projection: Record<string, tfc.Tensor> = {};
    for (const [key, value] of Object.entries(state)) {
      if (key.startsWith('projection.')) projection[key.slice('projection.'.length)] = value as tfc.Tensor;
    }
    this.projection.setState(projection);
    this.memory.forEach((m, h) => {
      this.centers[h].assign(state[`centers.${h}`] as tfc.Tensor);
      this.snapshots[h].dispose();
      this.snapshots[h] = tf.clone(state[`snapshot.${h}`] as tfc.Tensor2D);
      m.labels.set(state[`labels.${h}`] as Int32Array);
      m.counts.set(state[`counts.${h}`] as Int32Array);
      if (m.duals) m.duals.set(state[`duals.${h}`] as Float32Array);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.projection.dispose();
    for (const c of this.centers) c.dispose();
    for (const s of this.snapshots) s.dispose();
  }
}
