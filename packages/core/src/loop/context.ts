import type { BackendSelection } from '../backend/backend.js';
import type { RunConfig } from '../config/schema.js';
import type { HookContext, RunEnd } from '../hook.js';
import type { Registry } from '../registry.js';
import type { Services } from '../services.js';
import type { RunParts } from './build.js';
import { evaluate, type Evaluation } from './evaluate.js';
import type { TrainEvent } from './events.js';

/** The loop's side of the hook context: the fields only it may move. */
export class RunContext implements HookContext {
  epoch = 0;
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

  constructor(
    readonly config: RunConfig,
    readonly run: RunParts,
    readonly backend: BackendSelection,
    readonly services: Services,
    readonly signal: AbortSignal,
    readonly epochs: number,
    private readonly registry: Registry,
    readonly emit: (e: TrainEvent) => void,
    readonly saveCheckpoint: (path: string) => Promise<string>,
  ) {}

  requestStop(reason: string, by: string): void {
    this.stop ??= { reason, by };
  }

  evaluate(): Promise<Evaluation> {
    return evaluate(this.config.eval, this.run, this.registry, this.signal);
  }
}
