// ConCURL: consensus clustering (spec: ../shared/specs/concurl.md beside the repository).
import type { ObjectiveFactory } from '@clusterflow/core';
import { concurlFactory } from './factory.js';

// l2Normalize and noGrad come from ../ops, shared by every family.
export { exemplarLoss, momentumRows, updateBank } from './exemplar.js';
export { swappedPrediction, swavTargets, populationLoss, type PopulationLossOptions } from './swapped.js';
export { randomProjections, projectedScores, consensusLoss } from './consensus.js';
export { concurlOptions, type ConcurlOptions } from './options.js';
export { ConcurlObjective } from './objective.js';
export { concurlFactory };

export const concurlObjectives: ObjectiveFactory[] = [concurlFactory];
