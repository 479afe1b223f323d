// SCAN's self-labelling step with a per-class cap and SPICE's fallback.
import type { ObjectiveFactory } from '@clusterflow/core';
import { selfLabelFactory } from './factory.js';

export { pseudoLabelTargets, rulesFor, selectPseudoLabels, targetCrossEntropy, type PseudoLabelRules, type PseudoLabels } from './pseudo-labels.js';
export { selfLabelOptions, type SelfLabelOptions } from './options.js';
export { SelfLabelObjective } from './objective.js';
export { selfLabelFactory };

export const selfLabelObjectives: ObjectiveFactory[] = [selfLabelFactory];
