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

/**
 * NHWC patches for a conv with dilation 1: im2col(x, N,H,W,C, KH,KW, SH,SW, padTop,padLeft, OH,OW, col)
 * fills col [N*OH*OW, KH*KW*C] (zeros outside x); col2im(col, ..., x) overwrites x
 * with the adjoint (each element the sum of the patch entries taken from it).
 */
export type Patches = (
  src: Float32Array, N: number, H: number, W: number, C: number, KH: number, KW: number,
  SH: number, SW: number, padTop: number, padLeft: number, OH: number, OW: number, dst: Float32Array,
) => void;

export interface NativeModule {
  /** Whether the addon loaded; when false, `reason` says why and the functions are absent. */
  available: boolean;
  reason?: string;
  sgemm?: Sgemm;
  im2col?: Patches;
  col2im?: Patches;
  /** OpenBLAS worker threads (default 2, or CLUSTERFLOW_NATIVE_THREADS). */
  setNumThreads?: (n: number) => void;
  getNumThreads?: () => number;
  /** OpenBLAS's build string (version, core, threading). */
  config?: string;
}

export declare const available: boolean;
export declare const reason: string | undefined;
export declare const sgemm: Sgemm | undefined;
export declare const im2col: Patches | undefined;
export declare const col2im: Patches | undefined;
export declare const setNumThreads: ((n: number) => void) | undefined;
export declare const getNumThreads: (() => number) | undefined;
export declare const config: string | undefined;
declare const native: NativeModule;
export default native;
