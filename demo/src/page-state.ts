import type { EpochEndEvent, RunConfig } from '@clusterflow/core';
import type { OrderedConfusion, RgbaImage } from '@clusterflow/report';

/** Where the page's run stands. */
export type Status = 'idle' | 'training' | 'stopping' | 'stopped' | 'done' | 'failed';

/** One logged step: its loss parts, its speed and the backend's memory once the step was over. */
export interface StepRecord {
  step: number;
  epoch: number;
  loss: Record<string, number>;
  imagesPerSec: number;
  /** tf.memory() after the step (and its hooks): the same at every step unless something leaks. */
  memory?: { numTensors: number; numBytes: number };
}

/** The latest evaluation as the page shows it. */
export interface EvaluationView {
  epoch: number;
  step: number;
  metrics: Record<string, number>;
  mainReadout: string;
  /** The first samples of each cluster of the main read-out. */
  grid: RgbaImage;
  /** Classes x clusters, when the data has labels. */
  confusion?: OrderedConfusion;
}

/**
 * What the page knows, as `window.clusterflowDemo`: for its own rendering, for the
 * browser test and for curious users.
 */
export interface PageState {
  status: Status;
  /** Runs started here (a continued run counts). */
  runs: number;
  /** The run in progress or last run: its resolved config and the backend it got. */
  run?: {
    config: RunConfig;
    backend: string;
    backendSummary: string;
    numSamples: number;
    resumedFrom?: { path: string; epoch: number; step: number };
  };
  /** Every logged step of the run, continued runs included (a step logged twice keeps its later record). */
  steps: StepRecord[];
  epochs: EpochEndEvent[];
  warnings: { epoch: number; message: string }[];
  evaluation?: EvaluationView;
  /** Key of the last checkpoint written (IndexedDB), from which `continue` resumes. */
  checkpoint?: string;
  error?: string;
  /** What this browser offers: WebGPU's adapter or why not. */
  webgpu?: string;
  /** The user's own images, once given. */
  images?: { size: number; description: string };
}
