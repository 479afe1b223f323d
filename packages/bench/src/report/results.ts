import type { RunConfig } from '@clusterflow/core';

export type RunStatus = 'ok' | 'failed' | 'interrupted';

/** One epoch of a run, as reported in results.json. */
export interface EpochRecord {
  /** Counted over the whole run (a multi-stage run's epochs go on across its stages). */
  epoch: number;
  /** The stage it belongs to, in a multi-stage run. */
  stage?: string;
  /** Mean of each loss part over the epoch. */
  loss: Record<string, number>;
  /** Empty when the epoch was not evaluated (see eval.every). */
  metrics: Record<string, number>;
  seconds: number;
  imagesPerSec: number;
}

/** What results.json holds for one run (one config at one seed). */
export interface RunResult {
  name: string;
  seed: number;
  /** `interrupted`: stopped by Ctrl-C; its checkpoint resumes it (`resumeFrom`). */
  status: RunStatus;
  /** The error message of a failed run. */
  error?: string;
  /** Interrupted runs: the checkpoint that continues it. */
  resumeFrom?: string;
  /** What each stage trains ('cc', 'cc + secu'); one entry for a one-stage run. */
  objectives: string[];
  /** A multi-stage run's stages: epochs and the metrics each ended with. */
  stages?: { name: string; epochs: number; epochsDone: number; metrics: Record<string, number> }[];
  backbone: string;
  dataset: string;
  /** The backend in use, or the one asked for when the run failed before choosing. */
  backend: string;
  epochs: number;
  /** Epochs actually finished (less than `epochs` for a run that failed on the way). */
  epochsDone: number;
  wallSeconds: number;
  imagesPerSec: number;
  /** Final metrics of the main read-out (acc, nmi, ari, ...) and of the others (`readout/acc`). */
  metrics: Record<string, number>;
  mainReadout?: string;
  clusterSizes: Record<string, number[]>;
  perEpoch: EpochRecord[];
  /** Total loss at each logged step, for the loss curve. */
  stepLoss: { step: number; epoch: number; total: number }[];
  warnings: string[];
  /** The run's output folder, relative to the bench's. */
  dir: string;
  /** Files written into `dir`. */
  files: string[];
  config: RunConfig;
  /** Queued benches: the worker that finished the run. */
  worker?: WorkerInfo;
  /**
   * The machine that trained the run, where it is not the bench's: runs gathered from
   * bench folders written on different machines (`scripts/merge-results.ts`).
   */
  machine?: MachineInfo;
  /** Queued benches: each time a worker continued the run from the checkpoint of one that was lost. */
  takeovers?: Takeover[];
  /**
   * A run that chose among candidate seeds (`candidates:`): which it tried, and the one it
   * went on with. `seed` stays the run's own (it names the run); `config.seed` is the
   * chosen one, which trained. `wallSeconds` includes every candidate's time.
   */
  selection?: Selection;
}

/** How a run chose its seed among candidates, each trained for `epochs` epochs. */
export interface Selection {
  /** The loss term compared: each candidate's epoch mean at its `epochs`-th epoch. */
  loss: string;
  epochs: number;
  candidates: Candidate[];
  /** The candidate seed with the lowest loss, which the run went on with. */
  chosen: number;
}

export interface Candidate {
  seed: number;
  /** Its folder, relative to the bench's: its own results, event log and checkpoints. */
  dir: string;
  /** Absent when it failed (`error`). */
  loss?: number;
  wallSeconds: number;
  error?: string;
}

/** A queue worker: which machine trained a run (`clusterflow worker`). */
export interface WorkerInfo {
  /** `<host>/<pid>`: tells apart the workers on one machine. */
  id: string;
  host: string;
  machine: MachineInfo;
}

/** A run continued by `worker` from `checkpoint` (in the run's checkpoints folder), at that epoch and step. */
export interface Takeover {
  worker: string;
  checkpoint: string;
  epoch: number;
  step: number;
}

/** What the bench-level results.json holds. */
export interface BenchResult {
  name: string;
  date: string;
  machine: MachineInfo;
  runs: RunResult[];
  ok: number;
  failed: number;
  interrupted: number;
}

export interface MachineInfo {
  os: string;
  cpu: string;
  cores: number;
  node: string;
  tfjs: string;
  /** The native BLAS the wasm backend's kernels use: "OpenBLAS 0.3.21, core SkylakeX (why that core)", or "none: <why>". */
  blas?: string;
}
