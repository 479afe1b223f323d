import type { AugmentationFactory } from './augmentation.js';
import type { BackboneFactory } from './backbone.js';
import type { DatasetFactory } from './dataset.js';
import type { MetricFactory } from './metric.js';
import type { ObjectiveFactory } from './objective.js';

/** A typed injection token. `Symbol.for` so that two installed copies of core agree. */
export type Token<T> = symbol & { readonly __type?: T };

function token<T>(name: string): Token<T> {
  return Symbol.for(`clusterflow.${name}`) as Token<T>;
}

export const OBJECTIVES = token<ObjectiveFactory>('objective');
export const BACKBONES = token<BackboneFactory>('backbone');
export const DATASETS = token<DatasetFactory>('dataset');
export const AUGMENTATIONS = token<AugmentationFactory>('augmentation');
export const METRICS = token<MetricFactory>('metric');

/** The kinds of component a registry holds, by the word used in configs and messages. */
export const KINDS = {
  objective: OBJECTIVES,
  backbone: BACKBONES,
  dataset: DATASETS,
  augmentation: AUGMENTATIONS,
  metric: METRICS,
} as const;

export type Kind = keyof typeof KINDS;
