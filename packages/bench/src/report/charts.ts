// @clusterflow/bench/charts: the live view's charts and pictures without Node (no
// vega, no files), for a page that trains in the browser and draws what the live
// view draws.
export * from './plot-specs.js';
export * from './sample-grid-image.js';
export * from './confusion.js';
export * from './thin.js';
