import { ConfigError } from '../errors.js';
import { KNN } from '../services.js';
import type { ComponentRef } from '../factory.js';
import type { Registry } from '../registry.js';
import type { Kind } from '../kinds.js';
import type { ParsedRunConfig, RunConfig } from './schema.js';
import { stagesOf } from './stages.js';

/**
 * The config a run uses: the dataset's default augmentation and backbone filled
 * in, and every component it names looked up and its options validated by the
 * component's own schema, so a misspelt option fails before anything trains
 * (a bench checks all of its runs this way before the first one starts).
 */
export function resolveRunConfig(cfg: ParsedRunConfig, registry: Registry): RunConfig {
  const dataset = registry.get('dataset', cfg.data.id);
  const fromDataset = (field: 'augmentation' | 'backbone'): ComponentRef => {
    const ref = cfg[field] ?? dataset.defaults?.[field];
    if (!ref) {
      throw new ConfigError(`config field ${field} is required: dataset '${cfg.data.id}' names no default ${field}`);
    }
    return ref;
  };
  const resolved: RunConfig = {
    ...cfg,
    augmentation: withOptions(fromDataset('augmentation')),
    backbone: withOptions(fromDataset('backbone')),
  };
  const check = (kind: Kind, ref: ComponentRef) => {
    const options = registry.options(kind, ref);
    registry.get(kind, ref.id).check?.(options as never, registry as never);
  };
  check('dataset', resolved.data);
  check('augmentation', resolved.augmentation);
  check('backbone', resolved.backbone);
  for (const stage of stagesOf(resolved)) {
    for (const part of stage.objective) check('objective', part);
    check('augmentation', stage.augmentation);
    check('optimizer', stage.optimizer);
    check('schedule', stage.schedule);
  }
  checkHeadHandOver(resolved, registry);
  for (const hook of resolved.hooks) check('hook', hook);
  for (const id of resolved.eval.metrics) check('metric', { id });
  if (resolved.eval.knnPurity && !registry.services.has(KNN)) {
    throw new ConfigError('config field eval.knnPurity needs a k-NN service, and none is registered (@clusterflow/eval registers one)');
  }
  const backend = typeof resolved.backend === 'string' ? { id: resolved.backend } : resolved.backend;
  if (backend.id !== 'auto') check('backend', backend);
  return resolved;
}

/** Every `head: previous` stage follows a stage with an objective whose factory provides a cluster head. */
function checkHeadHandOver(cfg: RunConfig, registry: Registry): void {
  const stages = stagesOf(cfg);
  stages.forEach((stage, i) => {
    if (i === 0 || stage.head !== 'previous') return;
    const before = stages[i - 1];
    if (before.objective.some((part) => registry.get('objective', part.id).providesClusterHead)) return;
    const ids = before.objective.map((part) => `'${part.id}'`).join(', ');
    throw new ConfigError(
      `stage '${stage.name}' starts from the previous stage's cluster head, but the objectives of stage '${before.name}' (${ids}) provide none ` +
        '(an objective factory that does declares providesClusterHead: true)',
    );
  });
}

function withOptions(ref: ComponentRef): RunConfig['backbone'] {
  return { id: ref.id, options: ref.options ?? {} };
}
