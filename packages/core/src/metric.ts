import type { Factory } from './factory.js';

/** A clustering metric on plain arrays: ground-truth labels against predicted cluster ids. */
export interface Metric {
  readonly id: string;
  compute(labels: ArrayLike<number>, clusters: ArrayLike<number>): number;
}

export type MetricFactory<O = any> = Factory<O, Record<string, never>, Metric>;
