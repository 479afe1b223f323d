// @clusterflow/data in a browser (the `browser` condition of its exports): no files,
// so datasets come from addresses, a page's own images and arrays in memory.
export * from './errors.js';
export * from './host-dataset.js';
export * from './idx-parse.js';
export * from './gunzip.js';
export * from './image-pixels.js';
export * from './vector-dataset.js';
export * from './in-memory.js';
export * from './image-files.js';
export * from './fashion-mnist-split.js';
export * from './fashion-mnist-fetch.js';
export * from './batches.js';
export * from './augment/index.js';
export * from './register-browser.js';
