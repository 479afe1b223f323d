import type { AugmentationFactory } from './augmentation.js';
import type { BackboneFactory } from './backbone.js';
import type { BackendFactory } from './backend/backend.js';
import type { DatasetFactory } from './dataset.js';
import type { HookFactory } from './hook.js';
import type { MetricFactory } from './metric.js';
import type { ObjectiveFactory } from './objective.js';
import type { OptimizerFactory } from './optim/optimizer.js';
import type { ScheduleFactory } from './optim/schedule.js';
import type { TransformFactory } from './transform.js';

/** A typed injection token. `Symbol.for` so that two installed copies of core agree. */
export type Token<T> = symbol & { readonly __type?: T };

export function token<T>(name: string): Token<T> {
  return Symbol.for(`clusterflow.${name}`) as Token<T>;
}

/**
 * The kinds of component a registry holds, by the word used in configs and
 * messages. Every kind is a factory `{ id, options, create }` named in configs
 * as `{ id, options }`, so a plugin can add any of them.
 */
export const KINDS = {
  objective: token<ObjectiveFactory>('objective'),
  backbone: token<BackboneFactory>('backbone'),
  dataset: token<DatasetFactory>('dataset'),
  augmentation: token<AugmentationFactory>('augmentation'),
  transform: token<TransformFactory>('transform'),
  metric: token<MetricFactory>('metric'),
  optimizer: token<OptimizerFactory>('optimizer'),
  schedule: token<ScheduleFactory>('schedule'),
  hook: token<HookFactory>('hook'),
  backend: token<BackendFactory>('backend'),
} as const;

export type Kind = keyof typeof KINDS;

/** Every kind, in the order `clusterflow list` shows them. */
export const KIND_NAMES = Object.keys(KINDS) as Kind[];

export const OBJECTIVES = KINDS.objective;
export const BACKBONES = KINDS.backbone;
export const DATASETS = KINDS.dataset;
export const AUGMENTATIONS = KINDS.augmentation;
export const METRICS = KINDS.metric;
