import type { TensorInfo, TypedArray } from '@tensorflow/tfjs-core';

/**
 * The slice of tfjs-backend-wasm's BackendWasm that our kernels use: allocate an
 * output on the wasm heap and view a tensor's data there (no copy). Views taken
 * before an allocation may be detached by it, so take them after.
 */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
}
