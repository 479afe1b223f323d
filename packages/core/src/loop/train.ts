import { platform } from '#platform';
import { Observable } from 'rxjs';
import { selectBackend } from '../backend/select.js';
import { tf } from '../backend/tfjs.js';
import { configHash, parseRunConfig } from '../config/load.js';
import { resolveRunConfig } from '../config/resolve.js';
import type { RunConfig, RunConfigInput } from '../config/schema.js';
import { describeObjectives, stagesOf, type Stage } from '../config/stages.js';
import type { RunSummary, TrainEvent } from '../events.js';
import { HOOK_PRIORITY, type Hook } from '../hook.js';
import type { Optimizer } from '../optim/optimizer.js';
import { loadPlugins } from '../plugin.js';
import type { Registry } from '../registry.js';
import { containerServices, LOGGER, type Logger } from '../services.js';
import type { RunEnd, RunParts } from '../run.js';
import { isAbortError } from './abort.js';
import { buildRun, countParameters, enterStage } from './build.js';
import { RunContext } from './context.js';
import { buildHooks, callHooks, type HookSpec } from './run-hooks.js';
import { initBackbonePath, loadBackboneFrom, type BackboneOrigin } from './init-backbone.js';
import { checkpointStage, restoreRunState, saveRunState, type RunPosition, type RunStateSource } from './run-state.js';
import { paramGroups, trainStep } from './step.js';

export interface TrainOptions {
  /** Where components are looked up; plugins named by the config register into it. */
  registry: Registry;
  /** Folder that relative paths in the config (plugins, data, checkpoints) are resolved against. */
  baseDir?: string;
  /** Hooks added in code, after the config's: instances, or `{ id, options }` from the registry. */
  hooks?: readonly HookSpec[];
  /** Where the run's components and hooks log (default: the console). */
  logger?: Logger;
  /**
   * Aborting it stops the run at the next step boundary, gracefully: hooks see
   * `end: interrupted` (the checkpoint hook saves the state to resume from) and the
   * run completes with what it has. Ctrl-C in the CLI does this.
   */
  stop?: AbortSignal;
}

export interface RunTrainingOptions extends TrainOptions {
  /** Cancels the run: it stops within a step, writes nothing more, frees every tensor. */
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
}

/** The Observable `train` returns: each subscription is a run; `settled()` awaits their cleanup. */
export interface TrainingRun extends Observable<TrainEvent> {
  /**
   * Resolves once every run started by a subscription has ended and freed its
   * tensors, whether it completed, failed or was cancelled by unsubscribing.
   */
  settled(): Promise<void>;
}

/**
 * Trains as a cold Observable: nothing happens until subscription, and
 * unsubscribing cancels the run at the next step boundary (or inside evaluation,
 * k-means or a checkpoint write) and frees every tensor; `settled()` says when.
 * Errors (bad config, unknown component, non-finite loss) error the stream after
 * cleanup.
 */
export function train(config: RunConfigInput | RunConfig, options: TrainOptions): TrainingRun {
  const inFlight = new Set<Promise<unknown>>();
  const observable = new Observable<TrainEvent>((subscriber) => {
    const abort = new AbortController();
    const run = runTraining(config, { ...options, signal: abort.signal, onEvent: (e) => subscriber.next(e) }).then(
      () => subscriber.complete(),
      (err) => subscriber.error(err),
    );
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return () => abort.abort();
  });
  return Object.assign(observable, {
    settled: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  });
}

/**
 * Trains a run to its end and resolves with its summary, or with undefined when
 * `signal` cancelled it; either way only after every tensor is freed. Rejects
 * with the run's error (after the same cleanup). A multi-stage run trains its
 * stages one after another over one backbone.
 */
export async function runTraining(input: RunConfigInput | RunConfig, opts: RunTrainingOptions): Promise<RunSummary | undefined> {
  const { registry, baseDir = platform.defaultBaseDir() } = opts;
  const parsed = parseRunConfig(input);
  await loadPlugins(parsed.plugins, registry, baseDir);
  const cfg = resolveRunConfig(parsed, registry);
  const backend = await selectBackend(cfg.backend, registry);
  const resumePath = cfg.train.resume ? platform.resolvePath(baseDir, cfg.train.resume) : undefined;
  // A checkpoint written in a later stage is restored into that stage's objective.
  const firstStage = resumePath ? await checkpointStage(resumePath) : 0;
  // Run-scoped services (RNG, config, logger...) live in a child of the registry's container.
  const scope = registry.container.createChildContainer();
  scope.register(LOGGER, { useValue: opts.logger ?? registry.services.resolve(LOGGER) });
  const run = await buildRun(cfg, registry, baseDir, scope, firstStage);
  let training: Training | undefined;
  try {
    // Here, not in buildRun: a resumed run restores its own checkpoint, and evaluating a
    // checkpoint rebuilds its run from a file that holds the weights (init's may be gone).
    if (cfg.init && !resumePath) logOrigin(scope.resolve(LOGGER), await loadBackboneFrom(initBackbonePath(cfg.init, cfg.seed, baseDir), run.backbone));
    training = new Training(cfg, run, {
      ...opts,
      baseDir,
      resumePath,
      firstStage,
      backend,
      configHash: await configHash(cfg),
      services: containerServices(scope),
    });
    return await training.train();
  } catch (err) {
    if (opts.signal?.aborted && isAbortError(err)) return undefined;
    throw err;
  } finally {
    training?.dispose();
    run.objective.dispose();
    run.backbone.dispose();
  }
}

function logOrigin(logger: Logger, o: BackboneOrigin): void {
  const where = `${o.stage ? `stage ${o.stage}, ` : ''}${o.epoch} epoch${o.epoch === 1 ? '' : 's'}`;
  logger.info(`backbone${o.backbone ? ` (${o.backbone})` : ''} from ${o.path} (${where}); objective and optimizer start fresh`);
}

interface TrainingSetup extends RunTrainingOptions {
  baseDir: string;
  resumePath?: string;
  firstStage: number;
  backend: Awaited<ReturnType<typeof selectBackend>>;
  /** The config's hash, which its checkpoints carry (computed once: Web Crypto is asynchronous). */
  configHash: string;
  services: ReturnType<typeof containerServices>;
}

/** The stage in progress, as a checkpoint must record it to continue inside it. */
interface StageState {
  /** From the first epoch start to the end of the epoch in progress. */
  inEpoch: boolean;
  /** Epochs of the stage completed. */
  done: number;
  order: Int32Array;
  sums: Record<string, number>;
}

/** One run's training: its stages one after another, each epoch by epoch, the hooks around. */
class Training {
  private readonly stages: Stage[];
  private readonly hooks: Hook[];
  private readonly ctx: RunContext;
  private readonly signal: AbortSignal;
  private optimizer?: Optimizer;
  private src?: RunStateSource;
  private state: StageState = { inEpoch: false, done: 0, order: new Int32Array(0), sums: {} };
  private trainedImages = 0;
  private trainSeconds = 0;

  constructor(
    private readonly cfg: RunConfig,
    private readonly run: RunParts,
    private readonly setup: TrainingSetup,
  ) {
    this.stages = stagesOf(cfg);
    this.signal = setup.signal ?? new AbortController().signal;
    this.hooks = buildHooks(cfg, setup.registry, setup.hooks ?? [], setup.services, setup.baseDir);
    this.ctx = new RunContext({
      config: cfg,
      run,
      backend: setup.backend,
      services: setup.services,
      signal: this.signal,
      registry: setup.registry,
      emit: (e) => this.emit(e),
      saveCheckpoint: (path) => saveRunState(path, this.src!, this.position(), this.signal),
    });
    this.ctx.stage = { index: setup.firstStage, name: this.stages[setup.firstStage].name, count: this.stages.length };
  }

  /** Trains every stage (from the one a resumed checkpoint stopped in) and returns the summary; undefined when cancelled. */
  async train(): Promise<RunSummary | undefined> {
    const { cfg, run, ctx, setup } = this;
    const started = performance.now();
    const summaries: RunSummary['stages'] = [];
    let end: RunEnd = { kind: 'completed' };
    let resumedFrom: { path: string; epoch: number; step: number } | undefined;
    for (let s = setup.firstStage; s < this.stages.length && end.kind === 'completed'; s++) {
      const stage = this.stages[s];
      if (s > setup.firstStage) enterStage(run, stage, setup.registry);
      let pos: RunPosition = { stage: s, epoch: 0, step: ctx.step, stepInEpoch: 0 };
      this.beginStage(stage);
      if (s === setup.firstStage && setup.resumePath) {
        pos = await restoreRunState(setup.resumePath, this.src!);
        resumedFrom = { path: setup.resumePath, epoch: pos.epoch, step: pos.step };
      }
      if (s === setup.firstStage) {
        ctx.step = pos.step;
        this.emit({
          type: 'run-start',
          config: cfg,
          backend: setup.backend.name,
          backendSummary: setup.backend.summary,
          tfjsVersion: tf.version_core,
          numSamples: run.dataset.size,
          numClusters: run.numClusters,
          numParameters: countParameters(this.src!.params),
          resumedFrom,
        });
        await callHooks(this.hooks, 'onRunStart', ctx);
      }
      const multi = this.stages.length > 1;
      if (multi)
        this.emit({
          type: 'stage-start',
          stage: s,
          name: stage.name,
          epochs: stage.train.epochs,
          objective: describeObjectives({ objective: stage.objective }),
        });
      const outcome = await this.trainStage(stage, pos);
      if (outcome === 'cancelled') return undefined;
      end = outcome;
      const evaluated = ctx.evaluation?.step === ctx.step ? ctx.evaluation : undefined;
      const metrics = evaluated?.metrics ?? {};
      summaries.push({ name: stage.name, epochs: stage.train.epochs, epochsDone: this.state.done, metrics });
      if (multi)
        this.emit({
          type: 'stage-end',
          stage: s,
          name: stage.name,
          epochsDone: this.state.done,
          metrics,
          clusters: evaluated?.readouts[evaluated.mainReadout],
        });
    }
    if (this.signal.aborted) return undefined;
    ctx.end = end;
    await callHooks(this.hooks, 'onRunEnd', ctx);
    const last = ctx.evaluation;
    const epochsOf = (stages: Stage[]) => stages.reduce((n, st) => n + st.train.epochs, 0);
    const summary: RunSummary = {
      name: cfg.name,
      backend: setup.backend.name,
      epochs: epochsOf(this.stages),
      // The stages a resumed run did not train here were complete.
      epochsDone: epochsOf(this.stages.slice(0, setup.firstStage)) + summaries.reduce((n, st) => n + st.epochsDone, 0),
      steps: ctx.step,
      end,
      stages: summaries,
      wallSeconds: (performance.now() - started) / 1000,
      imagesPerSec: this.trainSeconds > 0 ? this.trainedImages / this.trainSeconds : 0,
      metrics: last?.metrics ?? {},
      clusterSizes: last?.clusterSizes ?? {},
      readouts: last?.readouts ?? {},
      mainReadout: last?.mainReadout,
      labels: run.dataset.labels,
    };
    this.emit({ type: 'complete', summary });
    return summary;
  }

  dispose(): void {
    this.optimizer?.dispose();
  }

  /** The stage's own optimizer (fresh slots) and the state a checkpoint of it holds. */
  private beginStage(stage: Stage): void {
    const { run, setup, ctx } = this;
    this.optimizer?.dispose();
    this.optimizer = undefined;
    this.optimizer = setup.registry.build('optimizer', stage.optimizer, {});
    const params = [...run.backbone.variables(), ...run.objective.variables()];
    this.src = { config: this.cfg, configHash: setup.configHash, backend: setup.backend.name, run, optimizer: this.optimizer, params, hooks: this.hooks };
    this.state = { inEpoch: false, done: 0, order: new Int32Array(0), sums: {} };
    ctx.stage = { index: stage.index, name: stage.name, count: this.stages.length };
    ctx.epochs = stage.train.epochs;
    ctx.epochsBefore = this.stages.slice(0, stage.index).reduce((n, st) => n + st.train.epochs, 0);
  }

  /** Where the run stands, for a checkpoint: inside an epoch (with its order and loss sums) or between two. */
  private position(): RunPosition {
    const { ctx, state } = this;
    const stage = ctx.stage.index;
    return state.inEpoch && ctx.stepInEpoch < ctx.stepsPerEpoch
      ? { stage, epoch: ctx.epoch, step: ctx.step, stepInEpoch: ctx.stepInEpoch, order: state.order, lossSums: state.sums }
      : { stage, epoch: state.done, step: ctx.step, stepInEpoch: 0 };
  }

  private emit(e: TrainEvent): void {
    for (const h of this.hooks) h.onEvent?.(e, this.ctx);
    this.setup.onEvent?.(e);
  }

  /** The epochs of one stage from `pos`; how the stage ended, or 'cancelled'. */
  private async trainStage(stage: Stage, pos: RunPosition): Promise<RunEnd | 'cancelled'> {
    const { run, ctx, hooks, signal, setup } = this;
    const { epochs, batchSize, dropLast, maxStepsPerEpoch } = stage.train;
    const fullSteps = dropLast ? Math.floor(run.dataset.size / batchSize) : Math.ceil(run.dataset.size / batchSize);
    if (fullSteps === 0) {
      throw new Error(
        `dataset '${this.cfg.data.id}' has ${run.dataset.size} samples, fewer than one batch of ${batchSize} (set train.dropLast: false or a smaller batchSize)`,
      );
    }
    ctx.stepsPerEpoch = maxStepsPerEpoch ? Math.min(maxStepsPerEpoch, fullSteps) : fullSteps;
    const schedule = setup.registry.build('schedule', stage.schedule, {});
    const groups = paramGroups(run);
    const optimizer = this.optimizer!;
    this.state.done = pos.epoch;
    for (let epoch = pos.epoch; epoch < epochs; epoch++) {
      // A run resumed inside an epoch continues it: its start (permutation, snapshots) already happened.
      const midEpoch = epoch === pos.epoch && pos.order !== undefined;
      ctx.epoch = epoch;
      ctx.metrics = {};
      ctx.stepInEpoch = midEpoch ? pos.stepInEpoch : 0;
      this.state.sums = midEpoch ? { ...(pos.lossSums ?? {}) } : {};
      if (midEpoch) {
        this.state.order = pos.order!;
      } else {
        await run.objective.onEpochStart?.(epoch);
        this.state.order = run.rng.permutation(run.dataset.size);
      }
      this.state.inEpoch = true; // from here on, a checkpoint continues this epoch with its order
      if (!midEpoch) await callHooks(hooks, 'onEpochStart', ctx);
      const epochStart = performance.now();
      const firstStep = ctx.stepInEpoch;
      for (let s = firstStep; s < ctx.stepsPerEpoch; s++) {
        if (signal.aborted) return 'cancelled';
        if (setup.stop?.aborted) return { kind: 'interrupted', reason: String(setup.stop.reason ?? 'stop requested') };
        const indices = this.state.order.slice(s * batchSize, Math.min((s + 1) * batchSize, run.dataset.size));
        const lr = schedule.lr(optimizer.lr, epoch + s / ctx.stepsPerEpoch, epochs, ctx.stepsPerEpoch);
        const t0 = performance.now();
        const loss = await trainStep(run, optimizer, groups, { indices, epoch, step: ctx.step, lr });
        const seconds = (performance.now() - t0) / 1000;
        this.trainedImages += indices.length;
        this.trainSeconds += seconds;
        const sums = this.state.sums;
        for (const [k, v] of Object.entries(loss)) sums[k] = (sums[k] ?? 0) + v;
        ctx.loss = loss;
        ctx.stepInEpoch = s + 1;
        ctx.epochLoss = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / (s + 1)]));
        if (ctx.step % this.cfg.train.logEvery === 0 || s === ctx.stepsPerEpoch - 1) {
          this.emit({
            type: 'step',
            epoch: ctx.runEpoch,
            step: ctx.step,
            stepInEpoch: s,
            stepsPerEpoch: ctx.stepsPerEpoch,
            loss,
            lr,
            imagesPerSec: indices.length / seconds,
          });
        }
        ctx.step++;
        await callHooks(hooks, 'onStepEnd', ctx);
        if (ctx.stop) return { kind: 'stopped', ...ctx.stop };
        // Let cancellation and other I/O in between steps.
        await platform.yieldToEventLoop();
      }
      if (signal.aborted) return 'cancelled';
      this.state.done = epoch + 1;
      const epochSeconds = (performance.now() - epochStart) / 1000;
      ctx.clusterSizes = run.objective.clusterSizes?.() ?? {};
      ctx.metrics = { ...ctx.metrics, ...run.objective.diagnostics?.() };
      // The epoch's record goes out before its checkpoint is written: a run killed between the
      // two then resumes from the checkpoint before, and its log is never short of an epoch
      // that a checkpoint holds (bench --resume reads the history back from that log).
      const [recording, saving] = splitAtCheckpoint(hooks);
      await callHooks(recording, 'onEpochEnd', ctx);
      this.emit({
        type: 'epoch-end',
        epoch: ctx.runEpoch,
        stage: stage.name,
        metrics: ctx.metrics,
        clusterSizes: ctx.clusterSizes,
        loss: ctx.epochLoss,
        seconds: epochSeconds,
        imagesPerSec: ((ctx.stepsPerEpoch - firstStep) * batchSize) / epochSeconds,
      });
      await callHooks(saving, 'onEpochEnd', ctx);
      this.state.inEpoch = false;
      if (ctx.stop) return { kind: 'stopped', ...ctx.stop };
    }
    return { kind: 'completed' };
  }
}

/** The hooks before the checkpoints' priority (evaluation, warnings, early stop, progress), and the rest. */
function splitAtCheckpoint(hooks: readonly Hook[]): [Hook[], Hook[]] {
  const saves = (h: Hook) => (h.priority ?? HOOK_PRIORITY.default) >= HOOK_PRIORITY.checkpoint;
  return [hooks.filter((h) => !saves(h)), hooks.filter(saves)];
}
