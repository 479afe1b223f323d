// Kernels clusterflow adds to TF.js backends (currently: wasm, for training), and the ops that use them.
export { registerWasmKernels } from './register.js';
export { tryRegisterNativeKernels, nativeKernelNames, nativeBlasSummary } from './native-matmul.js';
export { batchNormTrain, type BatchNormTrainResult } from './batch_norm_train.js';
export { biasRelu } from './bias_relu.js';
export { maxPool2d } from './max_pool.js';
