import type { BackendSelection } from '../backend/backend.js';
import type { RunConfig } from '../config/schema.js';
import type { HookContext } from '../hook.js';
import type { Registry } from '../registry.js';
import type { Services } from '../services.js';
import type { TrainEvent } from '../events.js';
import type { Evaluation, RunEnd, RunParts } from '../run.js';
import { evaluateModel } from './evaluate-model.js';

/** What the loop hands to the context once, at the start of a run. */
export interface RunContextInit {
  config: RunConfig;
  run: RunParts;
  backend: BackendSelection;
  services: Services;
  signal: AbortSignal;
  registry: Registry;
  emit: (e: TrainEvent) => void;
  saveCheckpoint: (path: string) => Promise<string>;
}

/** The hook context as the loop keeps it: the loop moves epoch, step and losses; hooks write metrics. */
export class RunContext implements HookContext {
  stage = { index: 0, name: 'main', count: 1 };
  epoch = 0;
  epochs = 0;
  /** Epochs of the stages before this one. */
  epochsBefore = 0;
  step = 0;
  stepInEpoch = 0;
  stepsPerEpoch = 0;
  loss: Record<string, number> = {};
  epochLoss: Record<string, number> = {};
  metrics: Record<string, number> = {};
  evaluation?: Evaluation & { epoch: number; step: number };
  clusterSizes: Record<string, number[]> = {};
  end?: RunEnd;
  /** The first stop asked for by a hook. */
  stop?: { reason: string; by: string };

  readonly config: RunConfig;
  readonly run: RunParts;
  readonly backend: BackendSelection;
  readonly services: Services;
  readonly signal: AbortSignal;
  readonly emit: (e: TrainEvent) => void;
  readonly saveCheckpoint: (path: string) => Promise<string>;
  private readonly registry: Registry;

  constructor(init: RunContextInit) {
    this.config = init.config;
    this.run = init.run;
    this.backend = init.backend;
    this.services = init.services;
    this.signal = init.signal;
    this.emit = init.emit;
    this.saveCheckpoint = init.saveCheckpoint;
    this.registry = init.registry;
  }

  get runEpoch(): number {
    return this.epochsBefore + this.epoch;
  }

  requestStop(reason: string, by: string): void {
    this.stop ??= { reason, by };
  }

  evaluateModel(): Promise<Evaluation> {
    return evaluateModel(this.config.eval, this.run, this.registry, this.signal);
  }

  evaluate(): Promise<Evaluation> {
    return this.evaluateModel();
  }
}
