import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from './backend/tfjs.js';
import { stripPrefix } from './prefix.js';
import type { FeatureModule, LossOutput, Objective, ObjectiveBatch, ObjectiveState, ParamGroup, Pending, Readouts, StepInfo, StepPlan } from './objective.js';

/** One term of a composition: an objective, its weight and the name its parts are reported under. */
export interface WeightedPart {
  name: string;
  objective: Objective;
  weight: number;
}

/** A composition's plan: the companions one part asked for, and each part's own plan. */
export interface WeightedPlan extends StepPlan {
  parts: (StepPlan | undefined)[];
}

/**
 * A weighted sum of objectives over one backbone. Each part's losses are reported
 * as `${name}/${part}` and its weighted-free total as `${name}`, so a run shows
 * what every objective contributes; the read-outs of the first part come first.
 */
export class WeightedObjective implements Objective<WeightedPlan> {
  readonly id: string;

  constructor(readonly parts: readonly WeightedPart[]) {
    if (parts.length === 0) throw new Error('a weighted objective needs at least one part');
    const names = new Set<string>();
    for (const p of parts) {
      if (names.has(p.name)) throw new Error(`two parts of the composition are named '${p.name}'; give them distinct names`);
      if (!Number.isFinite(p.weight)) throw new Error(`part '${p.name}' has weight ${p.weight}`);
      names.add(p.name);
    }
    this.id = parts.map((p) => (p.weight === 1 ? p.name : `${p.weight}*${p.name}`)).join('+');
  }

  variables(): tfc.Variable[] {
    return this.parts.flatMap((p) => p.objective.variables());
  }

  paramGroups(): ParamGroup[] {
    return this.parts.flatMap((p) => (p.objective.paramGroups?.() ?? []).map((g) => ({ ...g, name: `${p.name}/${g.name}` })));
  }

  /** The most cautious part wins: a part that freezes the encoder freezes it for all. */
  backboneLrScale(epoch: number): number {
    return Math.min(...this.parts.map((p) => p.objective.backboneLrScale?.(epoch) ?? 1));
  }

  async onEpochStart(epoch: number): Promise<void> {
    for (const p of this.parts) await p.objective.onEpochStart?.(epoch);
  }

  /** Every part prepares; companions can serve one part only (they are one more sample per batch row). */
  async prepare(step: StepInfo): Promise<WeightedPlan> {
    const plan: WeightedPlan = { parts: [] };
    for (const p of this.parts) {
      const own = (await p.objective.prepare?.(step)) ?? undefined;
      plan.parts.push(own);
      if (!own?.companions) continue;
      if (plan.companions) throw new Error(`two parts of the composition ask for companion samples; only one may (part '${p.name}')`);
      plan.companions = own.companions;
    }
    return plan;
  }

  loss(batch: ObjectiveBatch, plan?: WeightedPlan): LossOutput {
    const parts: Record<string, tfc.Scalar> = {};
    const pending: Pending = {};
    const terms: tfc.Scalar[] = [];
    for (const [i, p] of this.parts.entries()) {
      const out = p.objective.loss(batch, plan?.parts[i]);
      parts[p.name] = out.total;
      for (const [k, v] of Object.entries(out.parts)) parts[`${p.name}/${k}`] = v;
      for (const [k, v] of Object.entries(out.pending ?? {})) pending[`${p.name}/${k}`] = v;
      terms.push(p.weight === 1 ? out.total : tf.mul(out.total, p.weight));
    }
    const total = terms.length === 1 ? terms[0] : (tf.addN(terms) as tfc.Scalar);
    return { total, parts, pending };
  }

  async commit(step: StepInfo, pending: Pending, plan?: WeightedPlan): Promise<void> {
    for (const [i, p] of this.parts.entries()) await p.objective.commit?.(step, stripPrefix(`${p.name}/`, pending), plan?.parts[i]);
  }

  async predict(features: tfc.Tensor2D, options?: { signal?: AbortSignal }): Promise<Readouts> {
    const out: Readouts = {};
    for (const p of this.parts) {
      const r = await p.objective.predict(features, options);
      for (const [k, v] of Object.entries(r)) out[this.parts.length === 1 ? k : `${p.name}/${k}`] = v;
    }
    return out;
  }

  diagnostics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.parts) {
      for (const [k, v] of Object.entries(p.objective.diagnostics?.() ?? {})) out[this.parts.length === 1 ? k : `${p.name}/${k}`] = v;
    }
    return out;
  }

  /** The first part's head that has one. */
  clusterHead() {
    for (const p of this.parts) {
      const head = p.objective.clusterHead?.();
      if (head) return head;
    }
    return undefined;
  }

  /** Every part's: they all read the one backbone's features. */
  readoutModules(): FeatureModule[] {
    return this.parts.flatMap((p) => p.objective.readoutModules?.() ?? []);
  }

  clusterSizes(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const p of this.parts) {
      for (const [k, v] of Object.entries(p.objective.clusterSizes?.() ?? {})) {
        out[this.parts.length === 1 ? k : `${p.name}/${k}`] = v;
      }
    }
    return out;
  }

  getState(): ObjectiveState {
    const out: ObjectiveState = {};
    for (const p of this.parts) {
      for (const [k, v] of Object.entries(p.objective.getState())) out[`${p.name}/${k}`] = v;
    }
    return out;
  }

  setState(state: ObjectiveState): void {
    for (const p of this.parts) p.objective.setState(stripPrefix(`${p.name}/`, state));
  }

  dispose(): void {
    for (const p of this.parts) p.objective.dispose();
  }
}
