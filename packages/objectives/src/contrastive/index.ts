// The contrastive objectives: SimCLR's NT-Xent and Contrastive Clustering (CC).
export * from './l2-normalize.js';
export * from './ntxent.js';
export * from './cluster-contrastive.js';
