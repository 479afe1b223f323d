// Public API of @clusterflow/bench: the CLI and the pieces it is made of.
export * from './registry.js';
export * from './bench-config.js';
export * from './bench.js';
export * from './run-one.js';
export * from './results.js';
export * from './report-md.js';
export * from './assignments.js';
export * from './plots.js';
export * from './sample-grid.js';
export * from './list-components.js';
export * from './stats.js';
export { runCli, buildProgram, EXIT, type CliIo } from './cli.js';
