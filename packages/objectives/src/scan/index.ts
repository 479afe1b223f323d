// SCAN's clustering step: nearest-neighbour consistency (official code: wvangansbeke/Unsupervised-Classification).
import type { ObjectiveFactory } from '@clusterflow/core';
import { scanFactory } from './factory.js';

export { scanHeadLosses, type ScanHeadLosses } from './scan-loss.js';
export { drawCompanions, mineNeighbours } from './neighbours.js';
// Moved to core (evaluation reports it too); still exported here for code that imported it from objectives.
export { neighbourPurity } from '@clusterflow/core';
export { scanOptions, type ScanOptions } from './options.js';
export { ScanObjective } from './objective.js';
export { scanFactory };

export const scanObjectives: ObjectiveFactory[] = [scanFactory];
