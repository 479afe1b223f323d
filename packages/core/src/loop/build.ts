import type * as tfc from '@tensorflow/tfjs-core';
import type { DependencyContainer } from 'tsyringe';
import type { Augmentation } from '../augmentation.js';
import type { Backbone } from '../backbone.js';
import { WeightedObjective } from '../compose.js';
import type { RunConfig } from '../config/schema.js';
import type { Dataset } from '../dataset.js';
import { ConfigError } from '../errors.js';
import type { Objective } from '../objective.js';
import type { Registry } from '../registry.js';
import { Rng } from '../rng.js';
import { containerServices, DATASET, EMBED, RNG, RUN_CONFIG, type Services } from '../services.js';
import { embed } from './evaluate.js';

/** The components of one run, built from a config and a registry. */
export interface RunParts {
  dataset: Dataset;
  augmentation: Augmentation;
  backbone: Backbone;
  objective: Objective;
  numClusters: number;
  /** Drives shuffling and augmentation; its state is checkpointed. */
  rng: Rng;
  /** The run's services: the registry's, plus the RNG and the config. */
  services: Services;
}

/**
 * Builds dataset, augmentation, backbone and objective, validating each one's options
 * with its own schema. The RNG is forked in a fixed order (backbone, then objective
 * parts), so a seed fixes initialisation whatever the data or augmentation consume.
 * Run-scoped services (RNG, config, the dataset and the features of every
 * sample) go into `scope`, a child of the registry's container (a new one when
 * not given).
 */
export async function buildRun(
  cfg: RunConfig,
  registry: Registry,
  baseDir: string,
  scope: DependencyContainer = registry.container.createChildContainer(),
): Promise<RunParts> {
  const rng = new Rng(cfg.seed);
  const initRngs = { backbone: rng.fork(), objective: rng.fork() };
  scope.register(RNG, { useValue: rng });
  scope.register(RUN_CONFIG, { useValue: cfg });
  const services = containerServices(scope);

  const dataset = await registry.build('dataset', cfg.data, { baseDir });
  const augmentation = registry.build('augmentation', cfg.augmentation, { sampleShape: dataset.sampleShape, registry });

  const numClusters = cfg.numClusters ?? dataset.numClasses;
  if (!numClusters) {
    throw new ConfigError(`config field numClusters is required: dataset '${cfg.data.id}' has no class count to default to`);
  }

  const backbone = registry.build('backbone', cfg.backbone, {
    inputShape: augmentation.outputShape(dataset.sampleShape),
    rng: initRngs.backbone,
  });
  scope.register(DATASET, { useValue: dataset });
  scope.register(EMBED, {
    useValue: (o: { signal?: AbortSignal } = {}) => embed({ dataset, augmentation, backbone }, cfg.eval.batchSize, o.signal),
  });

  const built: { name: string; objective: Objective; weight: number }[] = [];
  try {
    for (const part of cfg.objective) {
      const objective = registry.build('objective', part, {
        featureDim: backbone.featureDim,
        numSamples: dataset.size,
        numClusters,
        numViews: augmentation.numViews,
        rng: initRngs.objective.fork(),
        services,
      });
      built.push({ name: part.name ?? part.id, objective, weight: part.weight });
    }
  } catch (err) {
    for (const b of built) b.objective.dispose();
    backbone.dispose();
    throw err;
  }
  const objective = built.length === 1 && built[0].weight === 1 ? built[0].objective : new WeightedObjective(built);
  return { dataset, augmentation, backbone, objective, numClusters, rng, services };
}

export function countParameters(vars: readonly tfc.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}
