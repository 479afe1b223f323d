// Tensor helpers shared by every objective family.
export * from './l2-normalize.js';
export * from './log-sum-exp.js';
export * from './stop-gradient.js';
