// Public API of @clusterflow/eval: clustering metrics, k-means, kNN accuracy and neighbours, diagnostics.
export * from './contingency.js';
export * from './accuracy.js';
export * from './nmi.js';
export * from './ari.js';
export * from './purity.js';
export * from './metric-factories.js';
export * from './kmeans.js';
export * from './minibatch-kmeans.js';
export * from './knn.js';
export * from './neighbors.js';
export * from './diagnostics.js';
export * from './register.js';
