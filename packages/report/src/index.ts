// Public API of @clusterflow/report: the charts and pictures of a run, as the bench's
// reports, the live view and the demo draw them. Browser-safe: no Node, no vega at
// run time (the specs are plain objects).
export * from './plot-specs.js';
export * from './confusion.js';
export * from './sample-grid-image.js';
export * from './thin.js';
