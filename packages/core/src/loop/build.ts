import type * as tfc from '@tensorflow/tfjs-core';
import type { Augmentation } from '../augmentation.js';
import type { Backbone } from '../backbone.js';
import { WeightedObjective } from '../compose.js';
import { validate } from '../config/load.js';
import type { RunConfig } from '../config/schema.js';
import type { Dataset } from '../dataset.js';
import { ConfigError } from '../errors.js';
import type { Objective } from '../objective.js';
import type { Registry } from '../registry.js';
import { Rng } from '../rng.js';

/** The components of one run, built from a config and a registry. */
export interface RunParts {
  dataset: Dataset;
  augmentation: Augmentation;
  backbone: Backbone;
  objective: Objective;
  numClusters: number;
  /** Drives shuffling and augmentation; its state is checkpointed. */
  rng: Rng;
}

/**
 * Builds dataset, augmentation, backbone and objective, validating each one's options
 * with its own schema. The RNG is forked in a fixed order (backbone, then objective
 * parts), so a seed fixes initialisation whatever the data or augmentation consume.
 */
export async function buildRun(cfg: RunConfig, registry: Registry, baseDir: string): Promise<RunParts> {
  const rng = new Rng(cfg.seed);
  const initRngs = { backbone: rng.fork(), objective: rng.fork() };

  const dataFactory = registry.get('dataset', cfg.data.id);
  const dataset = await dataFactory.create(validate(dataFactory.options, cfg.data.options, `options of dataset '${cfg.data.id}'`), { baseDir });

  const augFactory = registry.get('augmentation', cfg.augmentation.id);
  const augmentation = augFactory.create(
    validate(augFactory.options, cfg.augmentation.options, `options of augmentation '${cfg.augmentation.id}'`),
    { sampleShape: dataset.sampleShape },
  );

  const numClusters = cfg.numClusters ?? dataset.numClasses;
  if (!numClusters) {
    throw new ConfigError(`config field numClusters is required: dataset '${cfg.data.id}' has no class count to default to`);
  }

  const bbFactory = registry.get('backbone', cfg.backbone.id);
  const backbone = bbFactory.create(validate(bbFactory.options, cfg.backbone.options, `options of backbone '${cfg.backbone.id}'`), {
    inputShape: augmentation.outputShape(dataset.sampleShape),
    rng: initRngs.backbone,
  });

  const built: { name: string; objective: Objective; weight: number }[] = [];
  try {
    for (const part of cfg.objective) {
      const f = registry.get('objective', part.id);
      const options = validate(f.options, part.options, `options of objective '${part.id}'`);
      const objective = f.create(options, {
        featureDim: backbone.featureDim,
        numSamples: dataset.size,
        numClusters,
        numViews: augmentation.numViews,
        rng: initRngs.objective.fork(),
      });
      built.push({ name: part.name ?? part.id, objective, weight: part.weight });
    }
  } catch (err) {
    for (const b of built) b.objective.dispose();
    backbone.dispose();
    throw err;
  }
  const objective = built.length === 1 && built[0].weight === 1 ? built[0].objective : new WeightedObjective(built);
  return { dataset, augmentation, backbone, objective, numClusters, rng };
}

export function countParameters(vars: readonly tfc.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}
