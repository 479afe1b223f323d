import type * as tfc from '@tensorflow/tfjs-core';
import type { Module } from '@clusterflow/backbones';
import { checkState, ConfigError, ShapeError, tf } from '@clusterflow/core';
import type { LossOutput, Objective, ObjectiveBatch, ObjectiveContext, ObjectiveState, Pending, Readouts, StepInfo, TensorMap } from '@clusterflow/core';
import { linearClusterHead, loadClusterHead } from '../cluster-head.js';
import { mapRowBlocks, PREDICT_BLOCK } from '../contrastive/views.js';
import { resolveNumClusters } from '../num-clusters.js';
import { noGrad } from '../ops/stop-gradient.js';
import type { SelfLabelOptions } from './options.js';
import { pseudoLabelTargets, rulesFor, selectPseudoLabels, targetCrossEntropy } from './pseudo-labels.js';

/** Positions in the `stats` state: the epoch they count, then its sums. */
const [EPOCH, STEPS, SAMPLES, CONFIDENT, SELECTED, FALLBACK] = [0, 1, 2, 3, 4, 5];

/**
 * SCAN's self-labelling step (Van Gansbeke et al., ECCV 2020; selflabel.py) on
 * backbone features, with a cap per class and SPICE's fallback: a linear cluster
 * head trained by cross-entropy on the strong view against pseudo-labels from
 * the weak view.
 *
 * Views: view 0 is the weak view, view 1 the strong one (an augmentation such as
 * multi-view with `pipelines: [weak, strong]`); further views are not used.
 *
 * loss(): the weak view's prediction, softmax(head(view 0)), with no gradient
 * (SCAN runs it under torch.no_grad, backbone included: view 0's features get a
 * zero gradient here); its pseudo-labels (see selectPseudoLabels: threshold, cap per
 * class, fallback) and class weights; the part `crossEntropy`, the weighted mean
 * cross-entropy of head(view 1) over the selected rows (0 when none is; SCAN
 * raises). pending 'counts': the step's confident rows, selected rows and
 * classes that fell back.
 *
 * Teacher (`teacherDecay`): the objective sees features, not images, so its
 * teacher is an EMA of the head alone: the weak view's features (from the
 * trained backbone) go through the EMA head for the pseudo-labels, and commit()
 * moves it, teacher = decay · teacher + (1 − decay) · head, after the optimizer
 * step. SCAN's own EMA (utils/ema.py, off in every config) instead copies the
 * average back into the whole network after each step.
 *
 * `ctx.initialHead` (SCAN's best head: { weight [featureDim, K], bias [K] })
 * starts the head and the teacher; without it both start fresh.
 *
 * Read-outs: 'cluster' (argmax of the head; the main one) and, with a teacher,
 * 'teacher'. Diagnostics at epoch end: `confidentFraction` and
 * `selectedFraction` of the epoch's rows, `fallbackClasses` per step.
 *
 * State: 'head.weight', 'head.bias', with a teacher 'teacher.weight',
 * 'teacher.bias' (tensors, live) and 'stats' (Int32Array: epoch, steps, rows,
 * confident, selected, fallen-back classes).
 */
export class SelfLabelObjective implements Objective {
  readonly id = 'self-label';
  readonly numClusters: number;
  private readonly head: Module;
  private readonly teacher?: tfc.Variable[];
  private readonly stats = Int32Array.of(-1, 0, 0, 0, 0, 0);
  private disposed = false;

  constructor(
    readonly options: SelfLabelOptions,
    private readonly ctx: ObjectiveContext,
  ) {
    if (ctx.numViews < 2) {
      throw new ConfigError(
        `objective 'self-label' trains on a weak view 0 and a strong view 1, but the augmentation gives ${ctx.numViews} (use multi-view with pipelines: [weak, strong])`,
      );
    }
    this.numClusters = resolveNumClusters('self-label', options.numClusters, ctx);
    this.head = linearClusterHead(ctx.featureDim, this.numClusters, ctx.rng);
    try {
      if (ctx.initialHead) loadClusterHead(this.head, ctx.initialHead, this.id);
    } catch (err) {
      this.head.dispose();
      throw err;
    }
    if (options.teacherDecay !== undefined) this.teacher = this.head.variables().map((v) => tf.variable(v, false));
  }

  variables(): tfc.Variable[] {
    return this.head.variables();
  }

  loss(batch: ObjectiveBatch): LossOutput {
    const { views, indices } = batch;
    const [b, f] = [indices.length, this.ctx.featureDim];
    if (views.length < 2) throw new ShapeError(`self-label needs a weak view 0 and a strong view 1, got ${views.length} views`);
    const [weak, strong] = views;
    for (const v of [weak, strong]) {
      if (v.rank !== 2 || v.shape[0] !== b || v.shape[1] !== f) {
        throw new ShapeError(`self-label expects views [${b}, ${f}], got [${weak.shape}] and [${strong.shape}]`);
      }
    }
    const rules = rulesFor(this.options, b, this.numClusters);
    return tf.tidy(() => {
      const probs = tf.softmax(this.teacherLogits(weak));
      const labels = selectPseudoLabels(probs, rules);
      // The targets reach the loss through noGrad alone: no gradient flows back through the weak view.
      const targets = noGrad(() => pseudoLabelTargets(labels), probs);
      const crossEntropy = targetCrossEntropy(this.head.apply(strong, true) as tfc.Tensor2D, targets);
      const counts = tf.stack([tf.sum(labels.confident), tf.sum(labels.selected), tf.sum(labels.fallback)]);
      return { total: crossEntropy, parts: { crossEntropy }, pending: { counts } };
    });
  }

  /** Counts the step's pseudo-labels; the teacher follows the head after the optimizer step. */
  async commit(step: StepInfo, pending: Pending): Promise<void> {
    const t = pending.counts;
    if (!t || t.size !== 3) throw new ShapeError("self-label.commit needs the pending 'counts' [3] of its loss()");
    const [confident, selected, fallback] = Array.from(await t.data(), Math.round);
    if (this.stats[EPOCH] !== step.epoch) this.stats.set([step.epoch, 0, 0, 0, 0, 0]);
    this.stats[STEPS] += 1;
    this.stats[SAMPLES] += step.indices.length;
    this.stats[CONFIDENT] += confident;
    this.stats[SELECTED] += selected;
    this.stats[FALLBACK] += fallback;
    if (this.teacher) {
      const decay = this.options.teacherDecay!;
      const student = this.head.variables();
      tf.tidy(() => this.teacher!.forEach((v, i) => v.assign(tf.add(tf.mul(v, decay), tf.mul(student[i], 1 - decay)))));
    }
  }

  async predict(features: tfc.Tensor2D): Promise<Readouts> {
    if (features.rank !== 2 || features.shape[1] !== this.ctx.featureDim) {
      throw new ShapeError(`self-label.predict expects [N, ${this.ctx.featureDim}], got [${features.shape}]`);
    }
    const read = async (logits: (x: tfc.Tensor2D) => tfc.Tensor) => {
      const ids = mapRowBlocks(features, PREDICT_BLOCK, (x) => tf.argMax(logits(x), 1));
      const out = new Int32Array(await ids.data());
      ids.dispose();
      return out;
    };
    const out: Readouts = { cluster: await read((x) => this.head.apply(x, false)) };
    if (this.teacher) out.teacher = await read((x) => this.teacherLogits(x));
    return out;
  }

  diagnostics(): Record<string, number> {
    const s = this.stats;
    if (s[STEPS] === 0) return {};
    return { confidentFraction: s[CONFIDENT] / s[SAMPLES], selectedFraction: s[SELECTED] / s[SAMPLES], fallbackClasses: s[FALLBACK] / s[STEPS] };
  }

  /** The head's live weights { weight, bias } (the loop copies them for the next stage). */
  clusterHead(): TensorMap {
    return this.head.getState();
  }

  getState(): ObjectiveState {
    const state: ObjectiveState = {};
    for (const [k, t] of Object.entries(this.head.getState())) state[`head.${k}`] = t;
    if (this.teacher) {
      const [weight, bias] = this.teacher;
      Object.assign(state, { 'teacher.weight': weight, 'teacher.bias': bias });
    }
    state.stats = this.stats;
    return state;
  }

  setState(state: ObjectiveState): void {
    // Checks everything before assigning anything, so a bad checkpoint changes nothing.
    checkState('self-label', this.getState(), state);
    this.head.setState({ weight: state['head.weight'] as tfc.Tensor, bias: state['head.bias'] as tfc.Tensor });
    if (this.teacher) {
      this.teacher[0].assign(state['teacher.weight'] as tfc.Tensor);
      this.teacher[1].assign(state['teacher.bias'] as tfc.Tensor);
    }
    this.stats.set(state.stats as Int32Array);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.head.dispose();
    for (const v of this.teacher ?? []) v.dispose();
  }

  /** Logits of the pseudo-labels' source: the EMA head, or the head itself. */
  private teacherLogits(x: tfc.Tensor2D): tfc.Tensor2D {
    if (!this.teacher) return this.head.apply(x, false) as tfc.Tensor2D;
    const [weight, bias] = this.teacher;
    return tf.tidy(() => tf.add(tf.matMul(x, weight as tfc.Tensor2D), bias) as tfc.Tensor2D);
  }
}
