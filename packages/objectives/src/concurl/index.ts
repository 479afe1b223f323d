// ConCURL: consensus clustering (spec: /work/shared/specs/concurl.md).
import type { ObjectiveFactory } from '@clusterflow/core';
import { concurlFactory } from './factory.js';

// Helpers (l2Normalize, noGrad) stay internal: other objectives export their own of the same names.
export { exemplarLoss, momentumRows, updateBank } from './exemplar.js';
export { swappedPrediction, swavTargets, populationLoss, type PopulationLossOptions } from './swapped.js';
export { randomProjections, projectedScores, consensusLoss } from './consensus.js';
export { concurlOptions, type ConcurlOptions } from './options.js';
export { ConcurlObjective } from './objective.js';
export { concurlFactory };

export const concurlObjectives: ObjectiveFactory[] = [concurlFactory];
