// @clusterflow/report/page: what the live view's page and the demo draw with in a
// browser (DOM only; vega-embed is handed in).
export * from './charts.js';
export * from './run-lines.js';
