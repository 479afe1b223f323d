import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Observable } from 'rxjs';
import type * as tfc from '@tensorflow/tfjs-core';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { tf } from '../backend/tfjs.js';
import { copyCheckpoint, disposeCheckpoint, readCheckpoint, writeCheckpoint } from '../checkpoint.js';
import { configHash, parseRunConfig, validate } from '../config/load.js';
import type { RunConfig, RunConfigInput } from '../config/schema.js';
import { CheckpointError, NonFiniteLossError } from '../errors.js';
import { WeightedObjective } from '../compose.js';
import type { LossOutput, Objective, ObjectiveState, Readouts } from '../objective.js';
import { baseHyper, createOptimizer } from '../optim/create.js';
import type { GroupStep, Optimizer } from '../optim/optimizer.js';
import { learningRate } from '../optim/schedules.js';
import { loadPlugins } from '../plugin.js';
import type { Registry } from '../registry.js';
import type { TensorMap } from '../tensors.js';
import { buildRun, countParameters, type RunParts } from './build.js';
import { collapseWarning, countClusters } from './collapse.js';
import type { RunSummary, TrainEvent } from './events.js';

export interface TrainOptions {
  /** Where components are looked up; plugins named by the config register into it. */
  registry: Registry;
  /** Folder that relative paths in the config (plugins, data, checkpoints) are resolved against. */
  baseDir?: string;
}

/**
 * Trains as a cold Observable: nothing happens until subscription, and
 * unsubscribing stops the run at the next step boundary and frees every tensor.
 * Errors (bad config, unknown component, non-finite loss) error the stream after cleanup.
 */
export function train(config: RunConfigInput | RunConfig, options: TrainOptions): Observable<TrainEvent> {
  return new Observable<TrainEvent>((subscriber) => {
    const abort = new AbortController();
    runTraining(config, options, abort.signal, (e) => subscriber.next(e)).then(
      () => subscriber.complete(),
      (err) => subscriber.error(err),
    );
    return () => abort.abort();
  });
}

async function runTraining(
  input: RunConfigInput | RunConfig,
  { registry, baseDir = process.cwd() }: TrainOptions,
  signal: AbortSignal,
  emit: (e: TrainEvent) => void,
): Promise<void> {
  const cfg = parseRunConfig(input);
  await loadPlugins(cfg.plugins, registry, baseDir);
  const backend = await selectBackend(cfg.backend);
  const run = await buildRun(cfg, registry, baseDir);
  const optimizer = createOptimizer(cfg.optimizer);
  try {
    await trainParts(cfg, run, optimizer, registry, baseDir, backend, signal, emit);
  } finally {
    optimizer.dispose();
    run.objective.dispose();
    run.backbone.dispose();
  }
}

async function trainParts(
  cfg: RunConfig,
  run: RunParts,
  optimizer: Optimizer,
  registry: Registry,
  baseDir: string,
  backend: { name: string; summary: string },
  signal: AbortSignal,
  emit: (e: TrainEvent) => void,
): Promise<void> {
  const { dataset, augmentation, backbone, objective, rng } = run;
  const { epochs, batchSize, dropLast, maxStepsPerEpoch } = cfg.train;
  const hash = configHash(cfg);
  const params = [...backbone.variables(), ...objective.variables()];
  const groups = paramGroups(run, params);
  const base = baseHyper(cfg.optimizer);

  let startEpoch = 0;
  let step = 0;
  let resumedFrom: { path: string; epoch: number; step: number } | undefined;
  if (cfg.train.resume) {
    const path = resolve(baseDir, cfg.train.resume);
    ({ epoch: startEpoch, step } = await restore(path, hash, run, optimizer, params));
    resumedFrom = { path, epoch: startEpoch, step };
  }

  const fullSteps = dropLast ? Math.floor(dataset.size / batchSize) : Math.ceil(dataset.size / batchSize);
  if (fullSteps === 0) {
    throw new Error(`dataset '${cfg.data.id}' has ${dataset.size} samples, fewer than one batch of ${batchSize} (set train.dropLast: false or a smaller batchSize)`);
  }
  const stepsPerEpoch = maxStepsPerEpoch ? Math.min(maxStepsPerEpoch, fullSteps) : fullSteps;

  emit({
    type: 'run-start',
    config: cfg,
    backend: backend.name,
    backendSummary: backend.summary,
    tfjsVersion: tf.version_core,
    numSamples: dataset.size,
    numClusters: run.numClusters,
    numParameters: countParameters(params),
    resumedFrom,
  });

  const started = performance.now();
  let trainedImages = 0;
  let trainSeconds = 0;
  let last: Evaluation | undefined;
  for (let epoch = startEpoch; epoch < epochs; epoch++) {
    await objective.onEpochStart?.(epoch);
    const order = rng.permutation(dataset.size);
    const epochStart = performance.now();
    const sums: Record<string, number> = {};
    for (let s = 0; s < stepsPerEpoch; s++) {
      if (signal.aborted) return;
      const indices = order.slice(s * batchSize, Math.min((s + 1) * batchSize, dataset.size));
      const lr = learningRate(cfg.schedule, base.lr, epoch + s / stepsPerEpoch, epochs);
      const t0 = performance.now();
      const loss = await trainStep(run, optimizer, groups, { indices, epoch, step, lr, weightDecay: base.weightDecay });
      const seconds = (performance.now() - t0) / 1000;
      trainedImages += indices.length;
      trainSeconds += seconds;
      for (const [k, v] of Object.entries(loss)) sums[k] = (sums[k] ?? 0) + v;
      if (step % cfg.train.logEvery === 0 || s === stepsPerEpoch - 1) {
        emit({ type: 'step', epoch, step, stepInEpoch: s, stepsPerEpoch, loss, lr, imagesPerSec: indices.length / seconds });
      }
      step++;
      // Let unsubscription and other I/O in between steps.
      await new Promise((r) => setImmediate(r));
    }
    if (signal.aborted) return;
    const epochSeconds = (performance.now() - epochStart) / 1000;

    const isLast = epoch === epochs - 1;
    let metrics: Record<string, number> = {};
    let clusterSizes: Record<string, number[]> = objective.clusterSizes?.() ?? {};
    if (isLast || (cfg.eval.every > 0 && (epoch + 1) % cfg.eval.every === 0)) {
      last = await evaluate(cfg, run, registry);
      metrics = last.metrics;
      clusterSizes = { ...last.clusterSizes, ...clusterSizes };
    }
    const loss = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / stepsPerEpoch]));
    emit({ type: 'epoch-end', epoch, metrics, clusterSizes, loss, seconds: epochSeconds, imagesPerSec: (stepsPerEpoch * batchSize) / epochSeconds });
    for (const [name, sizes] of Object.entries(clusterSizes)) {
      const w = collapseWarning(sizes);
      if (w) emit({ type: 'warning', epoch, message: `${name}: ${w}` });
    }

    const dir = cfg.train.checkpointDir;
    if (dir && ((cfg.train.checkpointEvery > 0 && (epoch + 1) % cfg.train.checkpointEvery === 0) || isLast)) {
      const path = await saveCheckpoint(resolve(baseDir, dir), cfg, epoch + 1, step, hash, backend.name, run, optimizer, params);
      emit({ type: 'checkpoint', path, epoch: epoch + 1, step });
    }
  }

  if (signal.aborted) return;
  last ??= await evaluate(cfg, run, registry);
  const summary: RunSummary = {
    name: cfg.name,
    backend: backend.name,
    epochs,
    steps: step,
    wallSeconds: (performance.now() - started) / 1000,
    imagesPerSec: trainSeconds > 0 ? trainedImages / trainSeconds : 0,
    metrics: last.metrics,
    clusterSizes: last.clusterSizes,
    readouts: last.readouts,
    mainReadout: last.mainReadout,
    labels: dataset.labels,
  };
  emit({ type: 'complete', summary });
}

/** Variables of one optimizer group and how its learning rate follows the schedule. */
interface Group {
  variables: tfc.Variable[];
  /** Learning rate given the scheduled one and the epoch. */
  lr(scheduled: number, epoch: number): number;
  weightDecay?: number;
}

function paramGroups(run: RunParts, params: tfc.Variable[]): Group[] {
  const { backbone, objective } = run;
  const own = objective.paramGroups?.() ?? [];
  const grouped = new Set(own.flatMap((g) => g.variables));
  const rest = params.filter((v) => !backbone.variables().includes(v) && !grouped.has(v));
  const groups: Group[] = [
    { variables: backbone.variables(), lr: (s, e) => s * (objective.backboneLrScale?.(e) ?? 1) },
    ...own.map((g) => ({
      variables: g.variables,
      lr: (s: number, e: number) => g.lr ?? (g.followsBackbone ? s * (objective.backboneLrScale?.(e) ?? 1) : s),
      weightDecay: g.weightDecay,
    })),
    { variables: rest, lr: (s: number) => s },
  ];
  return groups.filter((g) => g.variables.length > 0);
}

/** One optimisation step; returns the loss parts as numbers. */
async function trainStep(
  run: RunParts,
  optimizer: Optimizer,
  groups: Group[],
  s: { indices: Int32Array; epoch: number; step: number; lr: number; weightDecay: number },
): Promise<Record<string, number>> {
  const { dataset, augmentation, backbone, objective, rng } = run;
  const allVars = groups.flatMap((g) => g.variables);
  const batch = { indices: s.indices, epoch: s.epoch, step: s.step };
  let features: tfc.Tensor2D[] = [];
  let out: LossOutput | undefined;
  const { grads, values } = tf.tidy(() => {
    const x = dataset.batch(s.indices);
    const views = augmentation.views(x, rng);
    const { value, grads } = tf.variableGrads(() => {
      features = views.map((v) => backbone.apply(v, true));
      out = objective.loss({ ...batch, views: features });
      // Keep what outlives the forward pass: features for afterStep, parts for reporting.
      for (const t of [...features, ...Object.values(out.parts)]) tf.keep(t);
      return out.total;
    }, allVars);
    const values = tf.stack([value, ...Object.values(out!.parts)]);
    return { grads, values };
  });
  const names = ['total', ...Object.keys(out!.parts)];
  const disposeStep = () => {
    tf.dispose([...features, ...Object.values(out!.parts), values]);
    tf.dispose(Object.values(grads));
  };
  let numbers: Float32Array;
  try {
    numbers = (await values.data()) as Float32Array;
  } catch (err) {
    disposeStep();
    throw err;
  }
  const loss = Object.fromEntries(names.map((n, i) => [n, numbers[i]]));
  // Name the most specific culprit: a part of a part before a part, the total last.
  const depth = (n: string) => (n === 'total' ? -1 : n.split('/').length);
  const bad = [...names].sort((x, y) => depth(y) - depth(x)).find((n) => !Number.isFinite(loss[n]));
  if (bad) {
    disposeStep();
    const [owner, part] = culprit(objective, bad);
    throw new NonFiniteLossError(owner, part, s.step, loss[bad]);
  }
  try {
    const steps: GroupStep[] = groups.map((g) => {
      const withGrad = g.variables.filter((v) => grads[v.name]);
      return {
        variables: withGrad,
        grads: withGrad.map((v) => grads[v.name]),
        lr: g.lr(s.lr, s.epoch),
        weightDecay: g.weightDecay ?? s.weightDecay,
      };
    });
    optimizer.step(steps);
    objective.afterStep?.({ ...batch, views: features });
  } finally {
    disposeStep();
  }
  return loss;
}

/** The objective and part a loss name stands for; in a composition, 'b/entropy' is part 'entropy' of 'b'. */
function culprit(objective: Objective, name: string): [string, string] {
  if (name === 'total' || !(objective instanceof WeightedObjective)) return [objective.id, name];
  const slash = name.indexOf('/');
  return slash < 0 ? [name, 'total'] : [name.slice(0, slash), name.slice(slash + 1)];
}

export interface Evaluation {
  metrics: Record<string, number>;
  clusterSizes: Record<string, number[]>;
  readouts: Readouts;
  mainReadout: string;
}

/** Features of every un-augmented sample, the objective's read-outs, and metrics when labels exist. */
export async function evaluate(cfg: RunConfig, run: RunParts, registry: Registry): Promise<Evaluation> {
  const { dataset, objective, numClusters } = run;
  const features = await embed(run, cfg.eval.batchSize);
  let readouts: Readouts;
  try {
    readouts = await objective.predict(features);
  } finally {
    features.dispose();
  }
  const names = Object.keys(readouts);
  const mainReadout = cfg.eval.readout ?? names[0];
  if (!readouts[mainReadout]) {
    throw new Error(`eval.readout '${mainReadout}' is not a read-out of objective '${objective.id}'; it has: ${names.join(', ')}`);
  }
  const metrics: Record<string, number> = {};
  const clusterSizes: Record<string, number[]> = {};
  const metricObjs = cfg.eval.metrics.map((id) => {
    const f = registry.get('metric', id);
    return f.create(validate(f.options, {}, `options of metric '${id}'`), {});
  });
  for (const name of [mainReadout, ...names.filter((n) => n !== mainReadout)]) {
    const ids = readouts[name];
    clusterSizes[name] = countClusters(ids, numClusters);
    if (!dataset.labels) continue;
    for (const m of metricObjs) {
      metrics[name === mainReadout ? m.id : `${name}/${m.id}`] = m.compute(dataset.labels, ids);
    }
  }
  return { metrics, clusterSizes, readouts, mainReadout };
}

/** Backbone features (inference mode) of the whole dataset, batch by batch, as one [N, f] tensor. */
export async function embed(run: Pick<RunParts, 'dataset' | 'augmentation' | 'backbone'>, batchSize: number): Promise<tfc.Tensor2D> {
  const { dataset, augmentation, backbone } = run;
  const outShape = augmentation.outputShape(dataset.sampleShape);
  const resize = outShape.length === 3 && outShape.join() !== dataset.sampleShape.join();
  const buf = new Float32Array(dataset.size * backbone.featureDim);
  for (let start = 0; start < dataset.size; start += batchSize) {
    const idx = new Int32Array(Math.min(batchSize, dataset.size - start)).map((_, i) => start + i);
    const f = tf.tidy(() => {
      let x = dataset.batch(idx);
      // Crops change the training size; evaluation sees the whole image at that size.
      if (resize) x = tf.image.resizeBilinear(x as tfc.Tensor4D, [outShape[0], outShape[1]]);
      return backbone.apply(x, false);
    });
    buf.set((await f.data()) as Float32Array, start * backbone.featureDim);
    f.dispose();
  }
  return tf.tensor2d(buf, [dataset.size, backbone.featureDim]);
}

async function saveCheckpoint(
  dir: string,
  cfg: RunConfig,
  epoch: number,
  step: number,
  hash: string,
  backend: string,
  run: RunParts,
  optimizer: Optimizer,
  params: tfc.Variable[],
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const state: ObjectiveState = {
    ...prefix('backbone/', run.backbone.getState()),
    ...prefix('objective/', run.objective.getState()),
    ...prefix('optimizer/', optimizer.getState(params)),
  };
  const path = join(dir, `epoch-${String(epoch).padStart(4, '0')}.ckpt`);
  // The resolved config travels with the weights, so `clusterflow eval` can rebuild the run.
  const meta = { epoch, step, rng: run.rng.getState(), configHash: hash, backend, createdAt: new Date().toISOString(), backbone: run.backbone.id, objective: run.objective.id, config: cfg };
  await writeCheckpoint(path, { meta, state });
  // The bytes are already on disk: copy them rather than read every tensor back again.
  await copyCheckpoint(path, join(dir, 'last.ckpt'));
  // Optimizer state may contain freshly made scalars (Adam's step count).
  const t = state['optimizer/t'];
  if (t && !ArrayBuffer.isView(t)) t.dispose();
  return path;
}

async function restore(path: string, hash: string, run: RunParts, optimizer: Optimizer, params: tfc.Variable[]) {
  const ckpt = await readCheckpoint(path);
  try {
    if (ckpt.meta.configHash !== hash) {
      throw new CheckpointError(
        `checkpoint ${path} was written by a different configuration (hash ${ckpt.meta.configHash}, this run ${hash}); only epochs, checkpointing, logging and evaluation may change on resume`,
      );
    }
    run.backbone.setState(unprefix('backbone/', ckpt.state) as TensorMap);
    run.objective.setState(unprefix('objective/', ckpt.state));
    optimizer.setState(params, unprefix('optimizer/', ckpt.state) as TensorMap);
    run.rng.setState(ckpt.meta.rng);
    return { epoch: ckpt.meta.epoch, step: ckpt.meta.step };
  } finally {
    disposeCheckpoint(ckpt);
  }
}

function prefix<T>(p: string, m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [p + k, v]));
}

function unprefix<T>(p: string, m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v]));
}

/**
 * Evaluates a checkpoint: rebuilds the run from the config stored in it, restores
 * backbone and objective state, and computes read-outs and metrics on the run's data.
 */
export async function evaluateCheckpoint(
  path: string,
  { registry, baseDir = process.cwd(), backend }: TrainOptions & { backend?: BackendChoice },
): Promise<Evaluation & { config: RunConfig; epoch: number; step: number; backend: string }> {
  const ckpt = await readCheckpoint(path);
  try {
    if (!ckpt.meta.config) throw new CheckpointError(`checkpoint ${path} carries no config to rebuild its run from`);
    const cfg = parseRunConfig(ckpt.meta.config, `config stored in ${path}`);
    await loadPlugins(cfg.plugins, registry, baseDir);
    const selected = await selectBackend(backend ?? cfg.backend);
    const run = await buildRun(cfg, registry, baseDir);
    try {
      run.backbone.setState(unprefix('backbone/', ckpt.state) as TensorMap);
      run.objective.setState(unprefix('objective/', ckpt.state));
      const result = await evaluate(cfg, run, registry);
      return { ...result, config: cfg, epoch: ckpt.meta.epoch, step: ckpt.meta.step, backend: selected.name };
    } finally {
      run.objective.dispose();
      run.backbone.dispose();
    }
  } finally {
    disposeCheckpoint(ckpt);
  }
}
