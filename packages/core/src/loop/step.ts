import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '../backend/tfjs.js';
import { WeightedObjective } from '../compose.js';
import { NonFiniteLossError } from '../errors.js';
import type { LossOutput, Objective, StepInfo } from '../objective.js';
import type { GroupStep, Optimizer } from '../optim/optimizer.js';
import { deferStateUpdates, StateUpdates } from '../state-updates.js';
import type { RunParts } from '../run.js';

/** Variables of one optimizer group and how its learning rate follows the schedule. */
export interface Group {
  variables: tfc.Variable[];
  /** Learning rate given the scheduled one and the epoch. */
  lr(scheduled: number, epoch: number): number;
  weightDecay?: number;
}

/** The backbone, the objective's own groups (SeCu's centers), and the rest at the scheduled rate. */
export function paramGroups(run: Pick<RunParts, 'backbone' | 'objective'>): Group[] {
  const { backbone, objective } = run;
  const own = objective.paramGroups?.() ?? [];
  const grouped = new Set(own.flatMap((g) => g.variables));
  const encoder = (s: number, e: number) => s * (objective.backboneLrScale?.(e) ?? 1);
  const rest = objective.variables().filter((v) => !grouped.has(v));
  const groups: Group[] = [
    { variables: backbone.variables(), lr: encoder },
    ...own.map((g) => ({
      variables: g.variables,
      lr: (s: number, e: number) => g.lr ?? (g.followsBackbone ? encoder(s, e) : s),
      weightDecay: g.weightDecay,
    })),
    { variables: rest, lr: (s: number) => s },
  ];
  return groups.filter((g) => g.variables.length > 0);
}

export interface StepInput extends StepInfo {
  /** The scheduled learning rate of this step. */
  lr: number;
}

/**
 * One optimisation step; returns the loss parts as numbers.
 *
 * The objective's `prepare` runs first, off the gradient tape. The forward pass
 * and the loss run inside the gradient computation with every state assignment
 * (BatchNorm's running statistics) held back. Only when every loss part is finite
 * does anything change: the optimizer steps, the held-back assignments land, and
 * the objective commits its pending values. A non-finite step leaves the weights,
 * running statistics and the objective's state exactly as they were.
 */
export async function trainStep(run: RunParts, optimizer: Optimizer, groups: Group[], s: StepInput): Promise<Record<string, number>> {
  const { dataset, augmentation, backbone, objective, rng } = run;
  const info: StepInfo = { indices: s.indices, epoch: s.epoch, step: s.step };
  const plan = (await objective.prepare?.(info)) ?? undefined;

  const allVars = groups.flatMap((g) => g.variables);
  const updates = new StateUpdates();
  let out: LossOutput | undefined;
  let computed: { grads: Record<string, tfc.Tensor>; values: tfc.Tensor };
  try {
    computed = deferStateUpdates(updates, () =>
      tf.tidy(() => {
        const x = dataset.batch(s.indices);
        const views = augmentation.views(x, rng);
        // Companions (SCAN's neighbours) are augmented like the batch and go through the backbone in the same step.
        const companionViews = plan?.companions ? augmentation.views(dataset.batch(plan.companions), rng) : undefined;
        const { value, grads } = tf.variableGrads(() => {
          const features = views.map((v) => backbone.apply(v, true));
          const companions = companionViews?.map((v) => backbone.apply(v, true));
          out = objective.loss({ ...info, views: features, companions }, plan);
          // Parts are reported and pending values committed after the gradient's tidy.
          for (const t of [...Object.values(out.parts), ...Object.values(out.pending ?? {})]) tf.keep(t);
          return out.total;
        }, allVars);
        return { grads, values: tf.stack([value, ...Object.values(out!.parts)]) };
      }),
    );
  } catch (err) {
    // A loss that throws (a wrong shape) leaves nothing behind either.
    updates.discard();
    if (out) tf.dispose([...Object.values(out.parts), ...Object.values(out.pending ?? {})]);
    freeAbandonedTape();
    throw err;
  }
  const { grads, values } = computed;
  const pending = out!.pending ?? {};
  const names = ['total', ...Object.keys(out!.parts)];
  let committed = false;
  try {
    const numbers = (await values.data()) as Float32Array;
    const loss = Object.fromEntries(names.map((n, i) => [n, numbers[i]]));
    // Name the most specific culprit: a part of a part before a part, the total last.
    const depth = (n: string) => (n === 'total' ? -1 : n.split('/').length);
    const bad = [...names].sort((x, y) => depth(y) - depth(x)).find((n) => !Number.isFinite(loss[n]));
    if (bad) {
      const [owner, part] = culprit(objective, bad);
      throw new NonFiniteLossError(owner, part, s.step, loss[bad]);
    }
    const steps: GroupStep[] = groups.map((g) => {
      const withGrad = g.variables.filter((v) => grads[v.name]);
      return {
        variables: withGrad,
        grads: withGrad.map((v) => grads[v.name]),
        lr: g.lr(s.lr, s.epoch),
        weightDecay: g.weightDecay ?? optimizer.weightDecay,
      };
    });
    optimizer.step(steps);
    updates.commit();
    committed = true;
    await objective.commit?.(info, pending, plan);
    return loss;
  } finally {
    if (!committed) updates.discard();
    tf.dispose([...Object.values(out!.parts), ...Object.values(pending), values, ...Object.values(grads)]);
  }
}

/**
 * TF.js keeps the tensors its gradient tape saved for the backward pass until the
 * gradient completes; when the function it differentiates throws, they stay kept
 * and would leak (a worker that trains run after run would feel it). The tape is
 * still on the engine then, at depth 0: free what it saved, as the engine itself
 * does after a backward pass.
 */
function freeAbandonedTape(): void {
  const { state } = tf.engine() as unknown as { state?: { gradientDepth: number; activeTape: { saved?: tfc.Tensor[] }[] | null } };
  if (!state || state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/** The objective and part a loss name stands for; in a composition, 'b/entropy' is part 'entropy' of 'b'. */
function culprit(objective: Objective, name: string): [string, string] {
  if (name === 'total' || !(objective instanceof WeightedObjective)) return [objective.id, name];
  const slash = name.indexOf('/');
  return slash < 0 ? [name, 'total'] : [name.slice(0, slash), name.slice(slash + 1)];
}
