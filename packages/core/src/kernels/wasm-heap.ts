import type { TensorInfo, TypedArray } from '@tensorflow/tfjs-core';

/**
 * The slice of tfjs-backend-wasm's BackendWasm that our kernels use: allocate an
 * output on the wasm heap and view a tensor's data there (no copy). Views taken
 * before an allocation may be detached by it, so take them after.
 */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): TypedArray;
}

/** The backend as a WasmHeapBackend when it is one (tfjs-backend-wasm), else undefined: the kernel then falls back. */
export function heapBackend(b: unknown): WasmHeapBackend | undefined {
  const w = b as Partial<WasmHeapBackend>;
  return typeof w.makeOutput === 'function' && typeof w.typedArrayFromHeap === 'function' ? (w as WasmHeapBackend) : undefined;
}

/** Float32 views of tensors on the heap; call it after the kernel's last allocation (see above). */
export function float32Views(backend: WasmHeapBackend): (t: TensorInfo) => Float32Array {
  return (t) => backend.typedArrayFromHeap(t) as Float32Array;
}
