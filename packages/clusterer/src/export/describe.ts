import type * as tfc from '@tensorflow/tfjs-core';
import {
  ConfigError,
  describeObjectives,
  parseRunConfig,
  resolveRunConfig,
  stagesOf,
  UnknownComponentError,
  type Checkpoint,
  type Dataset,
  type Registry,
  type RunConfig,
} from '@clusterflow/core';
import type { ModelDescription } from '../encode.js';
import type { Preprocessing, ReadoutSpec } from '../model-format.js';
import { READOUT_RECIPES } from './readout-recipes.js';

/** A trained run as an exportable model: what `encodeModel` takes, and what it cannot carry. */
export interface TrainedModel {
  description: ModelDescription;
  /** The tensors the model needs, by checkpoint name ('backbone/...', 'objective/...'): the checkpoint's own. */
  weights: Record<string, tfc.Tensor>;
  /** Read-outs of the run that an exported model cannot have, with why. */
  skipped: { name: string; why: string }[];
  config: RunConfig;
  /** The run's own data, as its config builds it: when asked for (`withData`), or when the checkpoint does not record its shapes. */
  dataset?: Dataset;
}

export interface DescribeOptions {
  registry: Registry;
  /** Folder the run's stored config resolves its relative paths against. */
  baseDir: string;
  /** Also build the run's own data (to assign it); otherwise it is read only for a checkpoint that does not record its sample shape. */
  withData?: boolean;
}

/**
 * Describes the run a checkpoint holds as an exportable model: the backbone (id,
 * options, weights, the input shape the run's evaluation feeds it), the
 * preprocessing, and the objective's read-outs as head ops (READOUT_RECIPES).
 * Components are looked up in `registry` only: no plugin named by the stored
 * config is imported, and a component only a plugin has is an error naming it.
 * The sample shape and cluster count come from the checkpoint's meta; the run's
 * data is built (from `baseDir`) only when `withData` asks for it or an older
 * checkpoint does not record them. Runs in Node and browsers (the demo's download).
 * The returned weights are the checkpoint's tensors: dispose the checkpoint after use.
 */
export async function describeTrainedModel(ckpt: Checkpoint, name: string, opts: DescribeOptions): Promise<TrainedModel> {
  if (!ckpt.meta.config) throw new ConfigError(`checkpoint ${name} carries no config to rebuild its run from`);
  const parsed = parseRunConfig(ckpt.meta.config, `config stored in ${name}`);
  let cfg: RunConfig;
  try {
    cfg = resolveRunConfig(parsed, opts.registry);
  } catch (err) {
    if (err instanceof UnknownComponentError && parsed.plugins.length > 0) {
      throw new UnknownComponentError(`${err.message} (the run loaded plugins ${parsed.plugins.join(', ')}; predict and export never import plugin code)`, {
        cause: err,
      });
    }
    throw err;
  }
  const stage = stagesOf(cfg)[(ckpt.meta.stage as number | undefined) ?? 0];
  const { sampleShape, numClusters, dataset } = await shapesOf(ckpt, cfg, name, opts);
  const augmentation = opts.registry.build('augmentation', stage.augmentation, { sampleShape, registry: opts.registry });
  const inputShape = augmentation.outputShape(sampleShape);
  const preprocessing = preprocessingOf(sampleShape, inputShape);

  const composite = stage.objective.length > 1 || stage.objective[0].weight !== 1;
  const readouts: ReadoutSpec[] = [];
  const skipped: { name: string; why: string }[] = [];
  for (const part of stage.objective) {
    const recipe = READOUT_RECIPES[part.id];
    const partName = part.name ?? part.id;
    if (!recipe) {
      throw new ConfigError(
        `objective '${part.id}' has no read-out an exported model can carry (exportable: ${Object.keys(READOUT_RECIPES).join(', ')}); ` +
          'its read-out is code of its own, which a model folder never holds',
      );
    }
    const statePrefix = `objective/${composite ? `${partName}/` : ''}`;
    const namePrefix = stage.objective.length > 1 ? `${partName}/` : '';
    const got = recipe({
      name: (k) => statePrefix + k,
      state: (k) => ckpt.state[statePrefix + k],
      options: opts.registry.options('objective', part) as Record<string, unknown>,
      numClusters,
    });
    readouts.push(...got.readouts.map((r) => ({ ...r, name: namePrefix + r.name })));
    skipped.push(...got.skipped.map((s) => ({ ...s, name: namePrefix + s.name })));
  }
  if (readouts.length === 0) {
    throw new ConfigError(
      `objective ${describeObjectives(cfg)} has no read-out an exported model can carry: ${skipped.map((s) => `'${s.name}' is ${s.why}`).join('; ')}`,
    );
  }
  // The main read-out first: the one eval's metrics use, when it is exportable.
  const main = cfg.eval.readout ?? readouts[0].name;
  readouts.sort((a, b) => Number(b.name === main) - Number(a.name === main));

  const weights: Record<string, tfc.Tensor> = {};
  const take = (key: string) => {
    const v = ckpt.state[key];
    if (v === undefined || ArrayBuffer.isView(v)) throw new ConfigError(`checkpoint ${name} has no tensor '${key}' that its read-outs need`);
    weights[key] = v as tfc.Tensor;
  };
  for (const key of Object.keys(ckpt.state)) if (key.startsWith('backbone/')) take(key);
  for (const r of readouts) for (const op of r.ops) for (const w of Object.values(op)) if (typeof w === 'string' && w.startsWith('objective/')) take(w);
  const description: ModelDescription = {
    backbone: { id: cfg.backbone.id, options: cfg.backbone.options ?? {}, inputShape: [...inputShape] },
    preprocessing,
    numClusters,
    readouts,
    trainedWith: { run: cfg.name, objective: describeObjectives(cfg), epoch: ckpt.meta.epoch, step: ckpt.meta.step, exportedAt: new Date().toISOString() },
  };
  return { description, weights, skipped, config: cfg, dataset };
}

function preprocessingOf(sampleShape: readonly number[], inputShape: readonly number[]): Preprocessing {
  if (inputShape.length === 3) return { input: 'image', inputShape: [inputShape[0], inputShape[1], inputShape[2]], pixelScale: 1 / 255 };
  if (inputShape.length === 1 && sampleShape.length === 1) return { input: 'vectors', dim: inputShape[0] };
  throw new ConfigError(`cannot export a model for samples of shape [${sampleShape}] (backbone input [${inputShape}]): only images [H, W, C] and vectors [D]`);
}

/**
 * The model's sample shape and cluster count: the checkpoint's own record where it
 * has one, else its run's data (read too when `withData` asks for it).
 */
async function shapesOf(
  ckpt: Checkpoint,
  cfg: RunConfig,
  name: string,
  opts: DescribeOptions,
): Promise<{ sampleShape: number[]; numClusters: number; dataset?: Dataset }> {
  const recorded = recordedShapes(ckpt);
  if (recorded && !opts.withData) return recorded;
  const dataset = await runData(cfg, name, opts);
  const sampleShape = recorded?.sampleShape ?? [...dataset.sampleShape];
  const numClusters = recorded?.numClusters ?? cfg.numClusters ?? dataset.numClasses;
  if (!numClusters) throw new ConfigError(`checkpoint ${name}: its config gives no numClusters and its data no class count`);
  return { sampleShape, numClusters, dataset };
}

/** The sample shape and cluster count a checkpoint records (written since 2026-12-07), if it does. */
function recordedShapes(ckpt: Checkpoint): { sampleShape: number[]; numClusters: number } | undefined {
  const { sampleShape, numClusters } = ckpt.meta;
  const shapeOk = Array.isArray(sampleShape) && sampleShape.length > 0 && sampleShape.every((d) => Number.isInteger(d) && d > 0);
  return shapeOk && Number.isInteger(numClusters) && numClusters! > 0 ? { sampleShape, numClusters: numClusters! } : undefined;
}

/**
 * The run's own data: to assign it, or, for an older checkpoint, as the source of
 * the model's sample shape and class count. Its relative paths were written
 * against the folder of the config it was trained from, which the checkpoint does
 * not know: where they do not resolve against `baseDir`, the error says so and
 * what to pass (it once read only "split 'all' not found in /shared/...").
 */
async function runData(cfg: RunConfig, name: string, opts: DescribeOptions): Promise<Dataset> {
  try {
    return await opts.registry.build('dataset', cfg.data, { baseDir: opts.baseDir });
  } catch (err) {
    if (err instanceof UnknownComponentError) throw err;
    const why = opts.withData ? 'is the data to assign' : 'gives the model its input shape and class count (this checkpoint does not record them)';
    throw new ConfigError(
      `checkpoint ${name}: its run's data (${JSON.stringify(cfg.data)}) ${why}, and could not be read ` +
        `with relative paths taken from ${opts.baseDir}: pass the folder of the config the run was trained from as --base-dir ` +
        `(${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
}
