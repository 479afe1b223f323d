import type { ObjectiveFactory } from '@clusterflow/core';
import { SelfLabelObjective } from './objective.js';
import { selfLabelOptions, type SelfLabelOptions } from './options.js';

export const selfLabelFactory: ObjectiveFactory<SelfLabelOptions> = {
  id: 'self-label',
  description:
    "SCAN's self-labelling: confident weak-view predictions (capped per class, SPICE's top-fraction fallback) as pseudo-labels " +
    'for a class-balanced cross-entropy on the strong view; optional EMA teacher head',
  providesClusterHead: true,
  options: selfLabelOptions,
  create: (options, ctx) => new SelfLabelObjective(options, ctx),
};
