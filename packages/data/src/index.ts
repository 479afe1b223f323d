// Public API of @clusterflow/data: datasets, batching, augmentations.
export * from './errors.js';
export * from './read-file.js';
export * from './host-dataset.js';
export * from './idx.js';
export * from './cifar.js';
export * from './decode-image.js';
export * from './image-folder.js';
export * from './vectors.js';
export * from './fashion-mnist.js';
export * from './batches.js';
export * from './augment/index.js';
export * from './register.js';
