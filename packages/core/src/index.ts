// Public API of @clusterflow/core: the seams, the registry and plugins, the loop.
// The seams, one interface each.
export * from './objective.js';
export * from './backbone.js';
export * from './dataset.js';
export * from './augmentation.js';
export * from './transform.js';
export * from './metric.js';
export * from './hook.js';
export * from './run.js';
export * from './events.js';
export * from './optim/optimizer.js';
export * from './optim/schedule.js';
export * from './backend/backend.js';
// Registry, services and plugins.
export * from './factory.js';
export * from './tokens.js';
export * from './kinds.js';
export * from './services.js';
export * from './registry.js';
export * from './create-registry.js';
export * from './plugin.js';
export * from './errors.js';
// Building blocks for components.
export * from './tensors.js';
export * from './state-check.js';
export * from './state-updates.js';
export * from './batch-norm-statistics.js';
export * from './prefix.js';
export * from './rng.js';
export * from './compose.js';
export * from './checkpoint.js';
export { tf } from './backend/tfjs.js';
export { selectBackend, onBackendReady, type BackendChoice } from './backend/select.js';
export { isSoftware } from './backend/webgpu.js';
export { registerWasmKernels, batchNormTrain, biasRelu, maxPool2d, nativeBlasSummary, type BatchNormTrainResult } from './kernels/index.js';
export * from './optim/sgd.js';
export * from './optim/adam.js';
export * from './optim/schedules.js';
// Configs.
export * from './config/schema.js';
export * from './config/load.js';
export * from './config/resolve.js';
export * from './config/stages.js';
// The loop and its hooks.
export * from './loop/collapse.js';
export * from './loop/abort.js';
export { train, runTraining, type TrainOptions, type RunTrainingOptions, type TrainingRun } from './loop/train.js';
export { evaluateModel, evaluate, type EvalOptions } from './loop/evaluate-model.js';
export { embed, inferenceInput } from './loop/embed.js';
export { featurePurity, neighbourPurity } from './loop/knn-purity.js';
export { evaluateCheckpoint } from './loop/evaluate-checkpoint.js';
export { buildRun, buildObjective, enterStage, countParameters } from './loop/build.js';
export { paramGroups, trainStep, type Group, type StepInput } from './loop/step.js';
export { saveRunState, restoreRunState, restoreModel, checkpointStage, type RunPosition, type RunStateSource } from './loop/run-state.js';
export type { HookSpec } from './loop/run-hooks.js';
export * from './hooks/index.js';
