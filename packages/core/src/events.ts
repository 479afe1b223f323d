import type { RunConfig } from './config/schema.js';
import type { RunEnd } from './run.js';

/** Events of a training run. They carry plain numbers and arrays, never tensors, so subscribers cannot leak. */
export type TrainEvent = RunStartEvent | StageStartEvent | StepEvent | EpochEndEvent | StageEndEvent | CheckpointEvent | WarningEvent | CompleteEvent;

export interface RunStartEvent {
  type: 'run-start';
  config: RunConfig;
  /** The backend in use and what was tried before it. */
  backend: string;
  backendSummary: string;
  tfjsVersion: string;
  numSamples: number;
  numClusters: number;
  /** Trainable parameters of backbone and objective. */
  numParameters: number;
  resumedFrom?: { path: string; epoch: number; step: number };
}

/** A stage of a multi-stage run begins (one-stage runs emit no stage events). */
export interface StageStartEvent {
  type: 'stage-start';
  /** Its position among the stages, from 0, and its name. */
  stage: number;
  name: string;
  epochs: number;
  /** The objective(s) it trains, e.g. 'scan'. */
  objective: string;
}

/** A stage of a multi-stage run ends, with the metrics of its last evaluation. */
export interface StageEndEvent {
  type: 'stage-end';
  stage: number;
  name: string;
  epochsDone: number;
  metrics: Record<string, number>;
  /** Every sample's cluster id from the main read-out of the stage's last evaluation (absent when its end was not evaluated). */
  clusters?: Int32Array;
}

export interface StepEvent {
  type: 'step';
  /** The epoch, from 0, counted over the whole run. */
  epoch: number;
  /** Global step, from 0. */
  step: number;
  /** Step within the epoch, from 0, and the epoch's step count. */
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** `total` and every named part. */
  loss: Record<string, number>;
  lr: number;
  imagesPerSec: number;
}

export interface EpochEndEvent {
  type: 'epoch-end';
  /** The epoch, from 0, counted over the whole run (a multi-stage run's epochs go on across its stages). */
  epoch: number;
  /** The stage's name ('main' for a one-stage run). */
  stage?: string;
  /** Metrics of the main read-out (`acc`, `nmi`, ...) and of the others (`readout/acc`); empty when not evaluated. */
  metrics: Record<string, number>;
  /** Cluster sizes per read-out (and per head, for objectives that track them). */
  clusterSizes: Record<string, number[]>;
  /** Mean of each loss part over the epoch. */
  loss: Record<string, number>;
  seconds: number;
  imagesPerSec: number;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  path: string;
  epoch: number;
  step: number;
}

export interface WarningEvent {
  type: 'warning';
  epoch: number;
  message: string;
}

export interface RunSummary {
  name: string;
  backend: string;
  /** Epochs asked for, and epochs finished (fewer when stopped early or interrupted). */
  epochs: number;
  epochsDone: number;
  steps: number;
  /** Completed, stopped by a hook (early stopping) or interrupted (the caller's stop signal). */
  end: RunEnd;
  /** Each stage's epochs and the metrics of its last evaluation (a one-stage run has one, 'main'). */
  stages: { name: string; epochs: number; epochsDone: number; metrics: Record<string, number> }[];
  wallSeconds: number;
  /** Training images per second over the whole run (views count once: images, not crops). */
  imagesPerSec: number;
  metrics: Record<string, number>;
  clusterSizes: Record<string, number[]>;
  /** Final cluster ids of every sample, per read-out, and the labels when the dataset has them (empty when not evaluated: an interrupted run). */
  readouts: Record<string, Int32Array>;
  mainReadout?: string;
  labels?: Int32Array;
}

export interface CompleteEvent {
  type: 'complete';
  summary: RunSummary;
}
