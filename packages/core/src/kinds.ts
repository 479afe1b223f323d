import type { AugmentationFactory } from './augmentation.js';
import type { BackboneFactory } from './backbone.js';
import type { BackendFactory } from './backend/backend.js';
import type { DatasetFactory } from './dataset.js';
import type { HookFactory } from './hook.js';
import type { MetricFactory } from './metric.js';
import type { ObjectiveFactory } from './objective.js';
import type { OptimizerFactory } from './optim/optimizer.js';
import type { ScheduleFactory } from './optim/schedule.js';
import { token } from './tokens.js';
import type { TransformFactory } from './transform.js';

/**
 * The kinds of component a registry holds, by the word used in configs and
 * messages, each with the token its factories are registered under. This is the
 * one list of kinds: `Kind`, `KIND_NAMES`, `FactoryOf` and the `Registrar` are
 * derived from it. Every kind is a factory `{ id, options, create }` named in
 * configs as `{ id, options }`, so a plugin can add any of them.
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

/** What each kind's factories look like: the type each token carries. */
export type FactoryOf = { [K in Kind]: NonNullable<(typeof KINDS)[K]['__type']> };
/** The context each kind's `create` receives. */
export type ContextOf<K extends Kind> = Parameters<FactoryOf[K]['create']>[1];
/** What each kind's `create` returns. */
export type ProductOf<K extends Kind> = ReturnType<FactoryOf[K]['create']>;
