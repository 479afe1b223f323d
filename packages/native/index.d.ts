/**
 * C = alpha * op(A) @ op(B) + beta * C (row-major; op transposes when the flag
 * is set), computed in place in C's memory by OpenBLAS. A, B and C may be views
 * into any ArrayBuffer (e.g. a wasm heap); sizes are checked against their
 * lengths and a RangeError is thrown rather than reading or writing past them.
 */
export type Sgemm = (
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number,
  beta: number, C: Float32Array, ldc: number,
) => void;

export interface NativeModule {
  /** Whether the addon loaded; when false, `reason` says why and the functions are absent. */
  available: boolean;
  reason?: string;
  sgemm?: Sgemm;
  /** OpenBLAS worker threads (default 2, or CLUSTERFLOW_NATIVE_THREADS). */
  setNumThreads?: (n: number) => void;
  getNumThreads?: () => number;
  /** OpenBLAS's build string (version, core, threading). */
  config?: string;
}

export declare const available: boolean;
export declare const reason: string | undefined;
export declare const sgemm: Sgemm | undefined;
export declare const setNumThreads: ((n: number) => void) | undefined;
export declare const getNumThreads: (() => number) | undefined;
export declare const config: string | undefined;
declare const native: NativeModule;
export default native;
