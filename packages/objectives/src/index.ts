// Public API of @clusterflow/objectives: one folder per method family, shared ops and one Sinkhorn.
export * from './ops/index.js';
export * from './contrastive/index.js';
export * from './secu/index.js';
export * from './concurl/index.js';
export * from './scan/index.js';
export * from './self-label/index.js';
export * from './cluster-head.js';
export * from './sinkhorn.js';
export * from './register.js';
