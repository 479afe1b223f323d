import type { ComponentRefConfig, ObjectivePartConfig, RunConfig } from './schema.js';

/** One stage with every default filled in from the run. */
export interface Stage {
  name: string;
  /** Its position among the run's stages. */
  index: number;
  objective: ObjectivePartConfig[];
  augmentation: ComponentRefConfig;
  optimizer: ComponentRefConfig;
  schedule: ComponentRefConfig;
  train: { epochs: number; batchSize: number; dropLast: boolean; maxStepsPerEpoch: number };
  /** Start from the cluster head the previous stage ended with. */
  head: 'new' | 'previous';
}

/**
 * The stages of a run: its `stages:` with the run's fields as defaults, or, for a
 * one-stage run, a single stage named 'main' made of the run's own fields.
 */
export function stagesOf(cfg: RunConfig): Stage[] {
  const { epochs, batchSize, dropLast, maxStepsPerEpoch } = cfg.train;
  const base = { augmentation: cfg.augmentation, optimizer: cfg.optimizer, schedule: cfg.schedule, train: { epochs, batchSize, dropLast, maxStepsPerEpoch } };
  if (!cfg.stages) return [{ ...base, name: 'main', index: 0, objective: cfg.objective!, head: 'new' }];
  return cfg.stages.map((s, index) => ({
    name: s.name,
    index,
    objective: s.objective,
    augmentation: s.augmentation ?? base.augmentation,
    optimizer: s.optimizer ?? base.optimizer,
    schedule: s.schedule ?? base.schedule,
    train: { ...base.train, ...s.train },
    head: s.head,
  }));
}

/** What a run is made of, for a line of text: 'cc + secu' or 'cc -> scan -> self-label'. */
export function describeObjectives(cfg: Pick<RunConfig, 'objective' | 'stages'>): string {
  const parts = (objective: ObjectivePartConfig[]) => objective.map((p) => p.name ?? p.id).join(' + ');
  return cfg.stages ? cfg.stages.map((s) => parts(s.objective)).join(' -> ') : parts(cfg.objective ?? []);
}
