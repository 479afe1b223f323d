/**
 * C = alpha * op(A) @ op(B) + beta * C (row-major; op transposes when the flag
 * is set), computed in place in C's memory by OpenBLAS. A, B and C may be views
 * into any ArrayBuffer (e.g. a wasm heap); sizes are checked against their
 * lengths and a RangeError is thrown rather than reading or writing past them.
 */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  lda: number,
  B: Float32Array,
  ldb: number,
  beta: number,
  C: Float32Array,
  ldc: number,
) => void;

/**
 * A conv (NHWC, dilation 1) and its gradients, on oneDNN where the addon was
 * built with it (ConvInfo), else as products of the patch matrix
 * [N*OH*OW, KH*KW*C] (built a block of rows at a time, never whole):
 * conv2d(x, w, y, ...), conv2dFilterGrad(x, dy, dw, ...) and
 * conv2dInputGrad(dy, w, dx, ...), each followed by
 * N,H,W,C, KH,KW, SH,SW, padTop,padLeft, OH,OW, CO; x and dx [N,H,W,C],
 * y and dy [N,OH,OW,CO], w and dw [KH,KW,C,CO]. The third array is overwritten.
 */
export type ConvCall = (
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  KH: number,
  KW: number,
  SH: number,
  SW: number,
  padTop: number,
  padLeft: number,
  OH: number,
  OW: number,
  CO: number,
) => void;

/**
 * BatchNorm in training mode over the rows of x [rows, C] (an NHWC tensor's
 * N*H*W rows): writes the batch mean and biased variance per channel and
 * y = (x - mean) / sqrt(variance + eps) * gamma + beta.
 */
export type BatchNormForward = (
  x: Float32Array,
  rows: number,
  C: number,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
) => void;

/**
 * BatchNormForward's gradients: dx (through the batch statistics, plus what the
 * gradients dmean and dvariance of the mean and variance outputs add), dgamma, dbeta.
 */
export type BatchNormBackward = (
  dy: Float32Array,
  x: Float32Array,
  rows: number,
  C: number,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  dmean: Float32Array,
  dvariance: Float32Array,
  eps: number,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
) => void;

/** out[o, i] = scale * sum over k of x[o, k, i], x viewed as [outer, r, inner] (float64 accumulators). */
export type SumMiddle = (x: Float32Array, outer: number, r: number, inner: number, scale: number, out: Float32Array) => void;

/**
 * MaxPool's gradient, NHWC: maxPoolGrad(x, dy, N,H,W,C, KH,KW, SH,SW, padTop,padLeft, OH,OW, dx)
 * overwrites dx [N,H,W,C] with dy [N,OH,OW,C] routed to each KH x KW window's
 * first maximum of x (row-major window order, as TF.js's cpu backend).
 */
export type MaxPoolGrad = (
  x: Float32Array,
  dy: Float32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  KH: number,
  KW: number,
  SH: number,
  SW: number,
  padTop: number,
  padLeft: number,
  OH: number,
  OW: number,
  dx: Float32Array,
) => void;

/**
 * MaxPool without padding, NHWC, that remembers its maxima (PyTorch's
 * max_pool2d_with_indices): maxPoolArgmax(x, N,H,W,C, KH,KW, SH,SW, OH,OW, y, index)
 * overwrites y [N,OH,OW,C] with each KH x KW window's maximum and index (same
 * shape) with the flat offset into x of its first maximum in row-major window
 * order (as TF.js's cpu backend picks it; NaN is skipped, and an all-NaN window
 * gives -Infinity and -1). Windows must lie inside x; x below 2^31 elements.
 */
export type MaxPoolArgmax = (
  x: Float32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  KH: number,
  KW: number,
  SH: number,
  SW: number,
  OH: number,
  OW: number,
  y: Float32Array,
  index: Int32Array,
) => void;

/**
 * MaxPoolArgmax's gradient from its index alone: maxPoolScatter(dy, index, N,H,W,C, OH,OW, dx)
 * zeroes dx [N,H,W,C] and adds each dy [N,OH,OW,C] at its index's offset (offsets outside dx, as -1, add nothing).
 */
export type MaxPoolScatter = (
  dy: Float32Array,
  index: Int32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  OH: number,
  OW: number,
  dx: Float32Array,
) => void;

/** y = max(x + b, 0) over the rows of x [rows, C], b [C]; y overwritten. */
export type BiasReluForward = (x: Float32Array, rows: number, C: number, b: Float32Array, y: Float32Array) => void;

/**
 * BiasReluForward's gradient from its output y, in one pass: dx = dy where y > 0
 * (0 elsewhere, NaN where y is NaN), and db (null: not wanted) the column sums of
 * dx (float64 accumulators); dx and db overwritten.
 */
export type BiasReluBackward = (dy: Float32Array, y: Float32Array, rows: number, C: number, dx: Float32Array, db: Float32Array | null) => void;

/**
 * One SGD step over a variable (PyTorch's: g' = g + wd·p; buf' = momentum·buf + g';
 * p' = p - lr·(nesterov ? g' + momentum·buf' : buf')), in one pass on the addon's
 * threads; pOut and bufOut overwritten. buf and bufOut both null without momentum (then
 * p' = p - lr·g'). lr 0 leaves p' = p.
 */
export type SgdStep = (
  p: Float32Array,
  g: Float32Array,
  buf: Float32Array | null,
  pOut: Float32Array,
  bufOut: Float32Array | null,
  lr: number,
  momentum: number,
  weightDecay: number,
  nesterov: boolean,
) => void;

/**
 * One Adam/AdamW step over a variable in one pass: p = p·keep when decoupled, else
 * g += weightDecay·p; m' = beta1·m + oneMinusBeta1·g; v' = beta2·v + oneMinusBeta2·g²;
 * p' = p - (m' / (sqrt(v') / sqrtC2 + eps))·lrOverC1 when `step`, else p.
 */
export type AdamStep = (
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  pOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
  lrOverC1: number,
  beta1: number,
  oneMinusBeta1: number,
  beta2: number,
  oneMinusBeta2: number,
  sqrtC2: number,
  eps: number,
  weightDecay: number,
  keep: number,
  decoupled: boolean,
  step: boolean,
) => void;

/** What getConvInfo() says of the convolutions' oneDNN path. */
export interface ConvInfo {
  /** "oneDNN 2.6.3 (avx512_core)": the library and the widest instructions its JIT uses; null when the addon was built without oneDNN. */
  dnnl: string | null;
  /** Which convolutions run on oneDNN: bit 1 forward, 2 filter gradient, 4 input gradient (0 without oneDNN). */
  ops: number;
  /** Convolutions run on oneDNN so far in this process. */
  calls: number;
  /** oneDNN's implementation last run for [forward, filter grad, input grad] ("brg:avx512_core"), null before any. */
  impl: [string | null, string | null, string | null];
}

/** The core (kernel set) OpenBLAS runs on, and why that one (core-choice.js). */
export interface OpenblasCore {
  /** openblas_get_corename(), e.g. "SkylakeX". */
  core: string;
  /** "set by OPENBLAS_CORETYPE", "OpenBLAS's own choice", or "chosen: ..." when the loader set the core. */
  reason: string;
  /** The core the loader put in OPENBLAS_CORETYPE for the addon's load; absent when it set none. */
  chosen?: string;
  /** For logs and results.json: "OpenBLAS 0.3.21, core SkylakeX (chosen: OpenBLAS did not recognise this CPU and picked Prescott)". */
  summary: string;
}

export interface NativeModule {
  /** Whether the addon loaded; when false, `reason` says why and the functions are absent. */
  available: boolean;
  reason?: string;
  sgemm?: Sgemm;
  conv2d?: ConvCall;
  conv2dFilterGrad?: ConvCall;
  conv2dInputGrad?: ConvCall;
  batchNormForward?: BatchNormForward;
  batchNormBackward?: BatchNormBackward;
  sumMiddle?: SumMiddle;
  maxPoolGrad?: MaxPoolGrad;
  maxPoolArgmax?: MaxPoolArgmax;
  maxPoolScatter?: MaxPoolScatter;
  biasReluForward?: BiasReluForward;
  biasReluBackward?: BiasReluBackward;
  sgdStep?: SgdStep;
  adamStep?: AdamStep;
  /** Threads of the addon's kernels, products included (default 2, or CLUSTERFLOW_NATIVE_THREADS). */
  setNumThreads?: (n: number) => void;
  getNumThreads?: () => number;
  /**
   * Whether a thread done with its part of a kernel runs the parts no other
   * thread has started (default true); false makes the caller wait for each
   * worker's own part, as before: for the kernel ablation.
   */
  setWorkSharing?: (on: boolean) => void;
  /**
   * Which convolutions run on oneDNN (mask as ConvInfo.ops; the rest on
   * OpenBLAS patch matrices); no effect without oneDNN. For the kernel
   * ablation; CLUSTERFLOW_NO_DNNL=1 sets 0 at load.
   */
  setConvDnnl?: (mask: number) => void;
  getConvInfo?: () => ConvInfo;
  /**
   * Matrix products on oneDNN's sgemm (1), on OpenBLAS (0), or the automatic
   * choice (-1, the default): oneDNN where it runs AVX-512 and OpenBLAS's core
   * has none. No effect without oneDNN; CLUSTERFLOW_NO_DNNL=1 sets 0 at load.
   */
  setGemmDnnl?: (mode: -1 | 0 | 1) => void;
  /** Whether matrix products run on oneDNN now. */
  getGemmDnnl?: () => boolean;
  /** For logs: "oneDNN 2.6.3 (avx512_core) for forward, filter grad; OpenBLAS patch matrices otherwise", as at load. */
  convolutions?: string;
  /** For logs: "OpenBLAS", or "oneDNN 2.6.3 (avx512_core_bf16) sgemm (OpenBLAS's core Haswell has no AVX-512 kernels)", as at load. */
  products?: string;
  /** OpenBLAS's build string (version, core, threading). */
  config?: string;
  openblas?: OpenblasCore;
}

export declare const available: boolean;
export declare const reason: string | undefined;
export declare const sgemm: Sgemm | undefined;
export declare const conv2d: ConvCall | undefined;
export declare const conv2dFilterGrad: ConvCall | undefined;
export declare const conv2dInputGrad: ConvCall | undefined;
export declare const batchNormForward: BatchNormForward | undefined;
export declare const batchNormBackward: BatchNormBackward | undefined;
export declare const sumMiddle: SumMiddle | undefined;
export declare const maxPoolGrad: MaxPoolGrad | undefined;
export declare const maxPoolArgmax: MaxPoolArgmax | undefined;
export declare const maxPoolScatter: MaxPoolScatter | undefined;
export declare const biasReluForward: BiasReluForward | undefined;
export declare const biasReluBackward: BiasReluBackward | undefined;
export declare const sgdStep: SgdStep | undefined;
export declare const adamStep: AdamStep | undefined;
export declare const setNumThreads: ((n: number) => void) | undefined;
export declare const getNumThreads: (() => number) | undefined;
export declare const setWorkSharing: ((on: boolean) => void) | undefined;
export declare const setConvDnnl: ((mask: number) => void) | undefined;
export declare const getConvInfo: (() => ConvInfo) | undefined;
export declare const setGemmDnnl: ((mode: -1 | 0 | 1) => void) | undefined;
export declare const getGemmDnnl: (() => boolean) | undefined;
export declare const convolutions: string | undefined;
export declare const products: string | undefined;
export declare const config: string | undefined;
export declare const openblas: OpenblasCore | undefined;
export { bestCoreFor, decideCore, describeCore, probeOpenblas } from './core-choice.js';
export type { CoreDecision, OpenblasProbe } from './core-choice.js';
declare const native: NativeModule;
export default native;
