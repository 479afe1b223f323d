// Public API of @clusterflow/clusterer: load an exported model and assign inputs to its clusters.
export * from './model-format.js';
export * from './preprocess.js';
export * from './clusterer.js';
export * from './encode.js';
export * from './load.js';
export type { ModelSource } from './read/source.js';
export * from './export/describe.js';
export { READOUT_RECIPES, mlpOps, type ExportedReadouts, type RecipeInput } from './export/readout-recipes.js';
