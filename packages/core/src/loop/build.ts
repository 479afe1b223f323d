import type * as tfc from '@tensorflow/tfjs-core';
import type { DependencyContainer } from 'tsyringe';
import { WeightedObjective } from '../compose.js';
import type { RunConfig } from '../config/schema.js';
import { stagesOf, type Stage } from '../config/stages.js';
import { ConfigError } from '../errors.js';
import type { Objective } from '../objective.js';
import type { Registry } from '../registry.js';
import { Rng } from '../rng.js';
import type { RunParts } from '../run.js';
import { containerServices, DATASET, EMBED, RNG, RUN_CONFIG } from '../services.js';
import type { TensorMap } from '../tensors.js';
import { embed } from './embed.js';

/**
 * Builds dataset, augmentation, backbone and objective (of stage `stageIndex`),
 * validating each one's options with its own schema. The RNG is forked in a fixed
 * order (backbone, then objective parts), so a seed fixes initialisation whatever
 * the data or augmentation consume. Run-scoped services (RNG, config, the dataset
 * and the features of every sample) go into `scope`, a child of the registry's
 * container (a new one when not given).
 */
export async function buildRun(
  cfg: RunConfig,
  registry: Registry,
  baseDir: string,
  scope: DependencyContainer = registry.container.createChildContainer(),
  stageIndex = 0,
): Promise<RunParts> {
  const stage = stagesOf(cfg)[stageIndex];
  const rng = new Rng(cfg.seed);
  const initRngs = { backbone: rng.fork(), objective: rng.fork() };
  scope.register(RNG, { useValue: rng });
  scope.register(RUN_CONFIG, { useValue: cfg });
  const services = containerServices(scope);

  const dataset = await registry.build('dataset', cfg.data, { baseDir });
  const augmentation = registry.build('augmentation', stage.augmentation, { sampleShape: dataset.sampleShape, registry });

  const numClusters = cfg.numClusters ?? dataset.numClasses;
  if (!numClusters) {
    throw new ConfigError(`config field numClusters is required: dataset '${cfg.data.id}' has no class count to default to`);
  }
  // More clusters than samples cannot all be filled: every objective would train
  // towards empty clusters and its balance terms would fight the data.
  if (numClusters > dataset.size) {
    throw new ConfigError(`config field numClusters is ${numClusters}, more than the ${dataset.size} samples of dataset '${cfg.data.id}'`);
  }

  const backbone = registry.build('backbone', cfg.backbone, {
    inputShape: augmentation.outputShape(dataset.sampleShape),
    rng: initRngs.backbone,
  });
  scope.register(DATASET, { useValue: dataset });
  scope.register(EMBED, {
    useValue: (o: { signal?: AbortSignal } = {}) => embed(run, cfg.eval.batchSize, o.signal),
  });
  const run: RunParts = {
    dataset,
    augmentation,
    backbone,
    objective: undefined as unknown as Objective,
    stage,
    numClusters,
    rng,
    objectiveRng: initRngs.objective,
    services,
  };
  try {
    run.objective = buildObjective(run, registry);
  } catch (err) {
    backbone.dispose();
    throw err;
  }
  return run;
}

/**
 * The objective of `run.stage`, over `run.augmentation`'s views: one part, or a
 * weighted sum. `initialHead` is the cluster head the previous stage ended with.
 */
export function buildObjective(run: Omit<RunParts, 'objective'>, registry: Registry, initialHead?: TensorMap): Objective {
  const built: { name: string; objective: Objective; weight: number }[] = [];
  try {
    for (const part of run.stage.objective) {
      const objective = registry.build('objective', part, {
        featureDim: run.backbone.featureDim,
        numSamples: run.dataset.size,
        numClusters: run.numClusters,
        numViews: run.augmentation.numViews,
        rng: run.objectiveRng.fork(),
        services: run.services,
        initialHead,
      });
      built.push({ name: part.name ?? part.id, objective, weight: part.weight });
    }
  } catch (err) {
    for (const b of built) b.objective.dispose();
    throw err;
  }
  return built.length === 1 && built[0].weight === 1 ? built[0].objective : new WeightedObjective(built);
}

/**
 * Moves a run on to `stage`: its augmentation, and its objective, started from
 * the previous stage's cluster head when the stage asks for it. The backbone
 * stays; the previous objective is disposed.
 */
export function enterStage(run: RunParts, stage: Stage, registry: Registry): void {
  const augmentation = registry.build('augmentation', stage.augmentation, { sampleShape: run.dataset.sampleShape, registry });
  const shape = augmentation.outputShape(run.dataset.sampleShape);
  if (shape.join() !== run.backbone.inputShape.join()) {
    throw new ConfigError(`stage '${stage.name}': its augmentation gives samples [${shape}], the backbone takes [${run.backbone.inputShape}]`);
  }
  // Copies: the previous objective's variables go with it.
  const head = stage.head === 'previous' ? copyHead(run.objective.clusterHead?.()) : undefined;
  if (stage.head === 'previous' && !head) {
    throw new ConfigError(
      `stage '${stage.name}' starts from the previous stage's cluster head, but objective '${run.objective.id}' of stage '${run.stage.name}' has none`,
    );
  }
  try {
    const objective = buildObjective({ ...run, stage, augmentation }, registry, head);
    run.objective.dispose();
    Object.assign(run, { stage, augmentation, objective });
  } finally {
    if (head) for (const t of Object.values(head)) t.dispose();
  }
}

function copyHead(head: TensorMap | undefined): TensorMap | undefined {
  return head && Object.fromEntries(Object.entries(head).map(([k, t]) => [k, (t as tfc.Tensor).clone()]));
}

export function countParameters(vars: readonly tfc.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}
