import { z } from 'zod';
import type { Metric, MetricFactory } from '@clusterflow/core';
import { clusterAccuracy } from './accuracy.js';
import { ari } from './ari.js';
import { nmi } from './nmi.js';
import { purity } from './purity.js';

/** None of the metrics has options; `.strict()` still rejects misspelt ones. */
const noOptions = z.object({}).strict().default({});
export type NoMetricOptions = z.infer<typeof noOptions>;

function metricFactory(
  id: string,
  description: string,
  compute: (labels: ArrayLike<number>, clusters: ArrayLike<number>) => number,
): MetricFactory<NoMetricOptions> {
  return {
    id,
    description,
    options: noOptions,
    create: (): Metric => ({ id, compute }),
  };
}

export const accMetric = metricFactory('acc', 'Clustering accuracy under the best one-to-one cluster-to-class matching (Hungarian)', clusterAccuracy);
export const nmiMetric = metricFactory('nmi', 'Normalized mutual information, arithmetic mean normalisation (scikit-learn default)', nmi);
export const ariMetric = metricFactory('ari', 'Adjusted Rand index', ari);
export const purityMetric = metricFactory('purity', 'Purity: each cluster labelled by its majority class (many-to-one)', purity);

export const metricFactories: readonly MetricFactory[] = [accMetric, nmiMetric, ariMetric, purityMetric];
