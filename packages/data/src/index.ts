// Public API of @clusterflow/data in Node: datasets, batching, augmentations.
// A browser bundle gets browser.ts instead (the `browser` condition of the exports).
export * from './errors.js';
export * from './read-file.js';
export * from './host-dataset.js';
export * from './idx.js';
export * from './cifar.js';
export * from './decode-image.js';
export * from './image-folder.js';
export * from './vectors.js';
export * from './fashion-mnist.js';
export * from './fashion-mnist-fetch.js';
export * from './gunzip.js';
export * from './in-memory.js';
export * from './batches.js';
export * from './augment/index.js';
export * from './register.js';
