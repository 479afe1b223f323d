/** What probe/openblas-probe.c prints: OpenBLAS's own pick (OPENBLAS_CORETYPE unset) and the CPU's flags. */
export interface OpenblasProbe {
  /** openblas_get_corename(), e.g. "Prescott". */
  core: string;
  /** openblas_get_config(), e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64". */
  config?: string;
  vendor?: 'intel' | 'amd' | 'other';
  /** Of avx, avx2, fma, avx512f, avx512cd, avx512bw, avx512dq, avx512vl: those the CPU and OS support. */
  flags?: string[];
}

export interface CoreDecision {
  /** The core to put in OPENBLAS_CORETYPE before OpenBLAS loads; absent: leave it as it is. */
  set?: string;
  reason: string;
}

/** The best core the flags allow (SkylakeX, Haswell, or Zen on AMD), or undefined. */
export declare function bestCoreFor(flags: readonly string[], vendor?: string): 'SkylakeX' | 'Haswell' | 'Zen' | undefined;

/** The decision, pure: the user's OPENBLAS_CORETYPE wins; else a generic pick on a CPU with AVX2 or AVX-512 is overridden. */
export declare function decideCore(input: { userCore?: string; probe?: OpenblasProbe; probeError?: string }): CoreDecision;

/** "OpenBLAS 0.3.21, core SkylakeX (reason)", with `core` what the loaded OpenBLAS reports and `wanted` the core asked for. */
export declare function describeCore(config: string | undefined, core: string, decision: CoreDecision, wanted?: string): string;

/** Runs the probe with OPENBLAS_CORETYPE unset. */
export declare function probeOpenblas(probePath: string, env?: NodeJS.ProcessEnv): { probe?: OpenblasProbe; error?: string };
