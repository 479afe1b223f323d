import type { BackendSelection } from './backend/backend.js';
import type { RunConfig } from './config/schema.js';
import type { Factory } from './factory.js';
import type { TrainEvent } from './events.js';
import type { Evaluation, RunEnd, RunParts } from './run.js';
import type { Services } from './services.js';

/**
 * What every hook stage receives: one object, updated by the loop as the run goes
 * (Lightning's trainer, MMEngine's runner). Hooks read it, write `metrics` and
 * `evaluation`, emit events and may ask the run to stop.
 */
export interface HookContext {
  /** The resolved config (dataset defaults filled in). */
  readonly config: RunConfig;
  /** Dataset, augmentation, backbone, objective and the run's RNG. */
  readonly run: RunParts;
  readonly backend: BackendSelection;
  /** Run-scoped services: the logger, the RNG, k-means... */
  readonly services: Services;
  /** Aborted when the run is cancelled: long work (evaluation, k-means, writes) should stop. */
  readonly signal: AbortSignal;

  /** The stage in progress: its position and name ('main' for a one-stage run), and how many stages the run has. */
  readonly stage: { index: number; name: string; count: number };
  /** The epoch of the stage in progress (0-based), or the last one at run end. */
  readonly epoch: number;
  /** The stage's epochs. */
  readonly epochs: number;
  /** The epoch counted over the whole run, across stages (what events carry; = epoch in a one-stage run). */
  readonly runEpoch: number;
  /** Global steps completed. */
  readonly step: number;
  /** Steps completed in the current epoch. */
  readonly stepInEpoch: number;
  readonly stepsPerEpoch: number;
  /** Loss parts of the last step. */
  readonly loss: Readonly<Record<string, number>>;
  /** Mean loss parts over the epoch's steps so far. */
  readonly epochLoss: Readonly<Record<string, number>>;

  /** Metrics of the latest evaluation; the evaluation hook sets them. */
  metrics: Record<string, number>;
  /** The latest evaluation (read-outs, cluster sizes) and the step it was made at. */
  evaluation?: Evaluation & { epoch: number; step: number };
  /** Cluster sizes known at the end of the epoch, per read-out or head. */
  clusterSizes: Record<string, number[]>;
  /** Set at run end. */
  readonly end?: RunEnd;

  /** Ends the run after the current stage; `onRunEnd` still runs. The first request wins. */
  requestStop(reason: string, by: string): void;
  /** Sends an event to the run's subscribers. */
  emit(event: TrainEvent): void;
  /** Features, read-outs and metrics of the current model on the run's data (`evaluateModel` with the config's `eval:` section). */
  evaluateModel(): Promise<Evaluation>;
  /** @deprecated Use `evaluateModel()`: the same evaluation, named apart from the `evaluate` hook. */
  evaluate(): Promise<Evaluation>;
  /**
   * Writes everything needed to continue this run exactly (weights, optimizer slots,
   * objective state, RNG, hook states, the position in the epoch) to `path`,
   * atomically; returns the path.
   */
  saveCheckpoint(path: string): Promise<string>;
}

/**
 * Code that runs around the loop: evaluation, checkpoints, collapse warnings,
 * progress, early stopping, and whatever a plugin adds. Every stage may be async;
 * hooks run in `priority` order (lower first, default 50) and one at a time.
 * State a hook returns from `getState` (plain JSON) goes into checkpoints and
 * comes back through `setState` on resume.
 */
export interface Hook {
  readonly id: string;
  readonly priority?: number;
  onRunStart?(ctx: HookContext): void | Promise<void>;
  onEpochStart?(ctx: HookContext): void | Promise<void>;
  onStepEnd?(ctx: HookContext): void | Promise<void>;
  onEpochEnd?(ctx: HookContext): void | Promise<void>;
  onRunEnd?(ctx: HookContext): void | Promise<void>;
  /**
   * Every event the run emits, as it is emitted (an event log, a live view). Called
   * synchronously and in order; it must not throw, and long work belongs elsewhere.
   */
  onEvent?(event: TrainEvent, ctx: HookContext): void;
  getState?(): unknown;
  setState?(state: unknown): void;
}

export interface HookBuildContext {
  config: RunConfig;
  services: Services;
  /** Folder that relative paths in options (a checkpoint folder) are resolved against. */
  baseDir: string;
}

export type HookFactory<O = any> = Factory<O, HookBuildContext, Hook>;

/** Hook priorities of the built-ins: precise BN's statistics, then evaluation, so the others see fresh metrics; checkpoints last. */
export const HOOK_PRIORITY = { preciseBn: 5, evaluate: 10, collapseWarning: 20, earlyStop: 30, progress: 40, default: 50, checkpoint: 90 } as const;

/**
 * Whether a hook that runs every `every` epochs (0: never on that count) and, when
 * `atLast`, after a stage's last epoch runs at the end of this epoch. Evaluation,
 * precise BN and checkpoints share it, so that `every: 5` means the same epochs to each.
 */
export function dueAtEpochEnd(ctx: Pick<HookContext, 'epoch' | 'epochs'>, every: number, atLast = true): boolean {
  return (atLast && ctx.epoch === ctx.epochs - 1) || (every > 0 && (ctx.epoch + 1) % every === 0);
}
