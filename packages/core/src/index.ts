// Public API of @clusterflow/core: the seams, the registry and plugins, the loop.
export * from './objective.js';
export * from './backbone.js';
export * from './dataset.js';
export * from './augmentation.js';
export * from './metric.js';
export * from './factory.js';
export * from './tensors.js';
export * from './tokens.js';
export * from './registry.js';
export * from './plugin.js';
export * from './errors.js';
export * from './rng.js';
export * from './backend/select.js';
export { tf } from './backend/tfjs.js';
