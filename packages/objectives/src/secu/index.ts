// SeCu: stable cluster discrimination (spec: ../shared/specs/secu.md beside the repository).
import type { ObjectiveFactory } from '@clusterflow/core';
import { secuFactory } from './factory.js';

export * from './center-loss.js';
export * from './representation-loss.js';
export * from './assign.js';
export * from './assign-size.js';
export * from './assign-entropy.js';
export * from './head-memory.js';
export * from './options.js';
export * from './objective.js';
export { secuFactory };

export const secuObjectives: ObjectiveFactory[] = [secuFactory];
