// Kernels clusterflow adds to TF.js backends (currently: wasm, for training).
export { registerWasmKernels } from './register.js';
export { tryRegisterNativeKernels, nativeKernelNames } from './native-matmul.js';
