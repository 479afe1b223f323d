import { resolve } from 'node:path';
import { Observable } from 'rxjs';
import { selectBackend } from '../backend/select.js';
import { tf } from '../backend/tfjs.js';
import { configHash, parseRunConfig } from '../config/load.js';
import { resolveRunConfig } from '../config/resolve.js';
import type { RunConfig, RunConfigInput } from '../config/schema.js';
import type { RunEnd } from '../hook.js';
import type { Optimizer } from '../optim/optimizer.js';
import { loadPlugins } from '../plugin.js';
import type { Registry } from '../registry.js';
import { containerServices, LOGGER, type Logger } from '../services.js';
import { isAbortError } from './abort.js';
import { buildRun, countParameters } from './build.js';
import { RunContext } from './context.js';
import type { RunSummary, TrainEvent } from './events.js';
import { buildHooks, callHooks, type HookSpec } from './run-hooks.js';
import { restoreRunState, saveRunState, type RunPosition, type RunStateSource } from './run-state.js';
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
 * with the run's error (after the same cleanup).
 */
export async function runTraining(input: RunConfigInput | RunConfig, opts: RunTrainingOptions): Promise<RunSummary | undefined> {
  const { registry, baseDir = process.cwd() } = opts;
  const signal = opts.signal ?? new AbortController().signal;
  const parsed = parseRunConfig(input);
  await loadPlugins(parsed.plugins, registry, baseDir);
  const cfg = resolveRunConfig(parsed, registry);
  const backend = await selectBackend(cfg.backend, registry);
  // Run-scoped services (RNG, config, logger) live in a child of the registry's container.
  const scope = registry.container.createChildContainer();
  scope.register(LOGGER, { useValue: opts.logger ?? registry.services.resolve(LOGGER) });
  const run = await buildRun(cfg, registry, baseDir, scope);
  const services = containerServices(scope);
  let optimizer: Optimizer | undefined;
  try {
    optimizer = registry.build('optimizer', cfg.optimizer, {});
    const schedule = registry.build('schedule', cfg.schedule, {});
    const hooks = buildHooks(cfg, registry, opts.hooks ?? [], services, baseDir);
    const params = [...run.backbone.variables(), ...run.objective.variables()];
    const src: RunStateSource = { config: cfg, configHash: configHash(cfg), backend: backend.name, run, optimizer, params, hooks };
    const emit = (e: TrainEvent) => {
      for (const h of hooks) h.onEvent?.(e, ctx);
      opts.onEvent?.(e);
    };

    const { epochs, batchSize, dropLast, maxStepsPerEpoch } = cfg.train;
    const fullSteps = dropLast ? Math.floor(run.dataset.size / batchSize) : Math.ceil(run.dataset.size / batchSize);
    if (fullSteps === 0) {
      throw new Error(`dataset '${cfg.data.id}' has ${run.dataset.size} samples, fewer than one batch of ${batchSize} (set train.dropLast: false or a smaller batchSize)`);
    }
    const stepsPerEpoch = maxStepsPerEpoch ? Math.min(maxStepsPerEpoch, fullSteps) : fullSteps;

    let pos: RunPosition = { epoch: 0, step: 0, stepInEpoch: 0 };
    let resumedFrom: { path: string; epoch: number; step: number } | undefined;
    if (cfg.train.resume) {
      const path = resolve(baseDir, cfg.train.resume);
      pos = await restoreRunState(path, src);
      resumedFrom = { path, epoch: pos.epoch, step: pos.step };
    }
    // The epoch in progress, its sample order and loss sums: what a checkpoint needs to continue inside it.
    let inEpoch = false;
    let done = pos.epoch;
    let order: Int32Array = pos.order ?? new Int32Array(0);
    let sums: Record<string, number> = {};
    const position = (): RunPosition =>
      inEpoch && ctx.stepInEpoch < stepsPerEpoch
        ? { epoch: ctx.epoch, step: ctx.step, stepInEpoch: ctx.stepInEpoch, order, lossSums: sums }
        : { epoch: done, step: ctx.step, stepInEpoch: 0 };
    const ctx = new RunContext({
      config: cfg,
      run,
      backend,
      services,
      signal,
      epochs,
      registry,
      emit,
      saveCheckpoint: (path) => saveRunState(path, src, position(), signal),
    });
    ctx.stepsPerEpoch = stepsPerEpoch;
    ctx.step = pos.step;
    ctx.epoch = pos.epoch;

    emit({
      type: 'run-start',
      config: cfg,
      backend: backend.name,
      backendSummary: backend.summary,
      tfjsVersion: tf.version_core,
      numSamples: run.dataset.size,
      numClusters: run.numClusters,
      numParameters: countParameters(params),
      resumedFrom,
    });
    await callHooks(hooks, 'onRunStart', ctx);

    const groups = paramGroups(run);
    const started = performance.now();
    let trainedImages = 0;
    let trainSeconds = 0;
    let end: RunEnd = { kind: 'completed' };
    training: for (let epoch = pos.epoch; epoch < epochs; epoch++) {
      const midEpoch = epoch === pos.epoch && pos.order !== undefined;
      ctx.epoch = epoch;
      ctx.metrics = {};
      sums = midEpoch ? { ...(pos.lossSums ?? {}) } : {};
      // A run resumed inside an epoch continues it: its start (permutation, snapshots) already happened.
      ctx.stepInEpoch = midEpoch ? pos.stepInEpoch : 0;
      if (!midEpoch) {
        await run.objective.onEpochStart?.(epoch);
        order = run.rng.permutation(run.dataset.size);
      }
      inEpoch = true; // from here on, a checkpoint continues this epoch with `order`
      if (!midEpoch) await callHooks(hooks, 'onEpochStart', ctx);
      const epochStart = performance.now();
      const firstStep = ctx.stepInEpoch;
      for (let s = firstStep; s < stepsPerEpoch; s++) {
        if (signal.aborted) return undefined;
        if (opts.stop?.aborted) {
          end = { kind: 'interrupted', reason: String(opts.stop.reason ?? 'stop requested') };
          break training;
        }
        const indices = order.slice(s * batchSize, Math.min((s + 1) * batchSize, run.dataset.size));
        const lr = schedule.lr(optimizer.lr, epoch + s / stepsPerEpoch, epochs);
        const t0 = performance.now();
        const loss = await trainStep(run, optimizer, groups, { indices, epoch, step: ctx.step, lr });
        const seconds = (performance.now() - t0) / 1000;
        trainedImages += indices.length;
        trainSeconds += seconds;
        for (const [k, v] of Object.entries(loss)) sums[k] = (sums[k] ?? 0) + v;
        ctx.loss = loss;
        ctx.stepInEpoch = s + 1;
        ctx.epochLoss = mean(sums, s + 1);
        if (ctx.step % cfg.train.logEvery === 0 || s === stepsPerEpoch - 1) {
          emit({ type: 'step', epoch, step: ctx.step, stepInEpoch: s, stepsPerEpoch, loss, lr, imagesPerSec: indices.length / seconds });
        }
        ctx.step++;
        await callHooks(hooks, 'onStepEnd', ctx);
        if (ctx.stop) {
          end = { kind: 'stopped', ...ctx.stop };
          break training;
        }
        // Let cancellation and other I/O in between steps.
        await new Promise((r) => setImmediate(r));
      }
      if (signal.aborted) return undefined;
      done = epoch + 1;
      const epochSeconds = (performance.now() - epochStart) / 1000;
      ctx.clusterSizes = run.objective.clusterSizes?.() ?? {};
      ctx.metrics = { ...ctx.metrics, ...run.objective.diagnostics?.() };
      await callHooks(hooks, 'onEpochEnd', ctx);
      emit({
        type: 'epoch-end',
        epoch,
        metrics: ctx.metrics,
        clusterSizes: ctx.clusterSizes,
        loss: ctx.epochLoss,
        seconds: epochSeconds,
        imagesPerSec: ((stepsPerEpoch - firstStep) * batchSize) / epochSeconds,
      });
      inEpoch = false;
      if (ctx.stop) {
        end = { kind: 'stopped', ...ctx.stop };
        break;
      }
    }
    if (signal.aborted) return undefined;
    ctx.end = end;
    await callHooks(hooks, 'onRunEnd', ctx);
    const last = ctx.evaluation;
    const summary: RunSummary = {
      name: cfg.name,
      backend: backend.name,
      epochs,
      epochsDone: done,
      steps: ctx.step,
      end,
      wallSeconds: (performance.now() - started) / 1000,
      imagesPerSec: trainSeconds > 0 ? trainedImages / trainSeconds : 0,
      metrics: last?.metrics ?? {},
      clusterSizes: last?.clusterSizes ?? {},
      readouts: last?.readouts ?? {},
      mainReadout: last?.mainReadout,
      labels: run.dataset.labels,
    };
    emit({ type: 'complete', summary });
    return summary;
  } catch (err) {
    if (signal.aborted && isAbortError(err)) return undefined;
    throw err;
  } finally {
    optimizer?.dispose();
    run.objective.dispose();
    run.backbone.dispose();
  }
}

function mean(sums: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
}
