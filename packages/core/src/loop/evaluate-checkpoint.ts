import { platform } from '#platform';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { disposeCheckpoint, readCheckpoint, readCheckpointMeta } from '../checkpoint.js';
import { parseRunConfig } from '../config/load.js';
import { resolveRunConfig } from '../config/resolve.js';
import type { RunConfig } from '../config/schema.js';
import { CheckpointError, UnknownComponentError } from '../errors.js';
import { unloadedPluginError } from '../plugin.js';
import type { Registry } from '../registry.js';
import { buildRun } from './build.js';
import type { Evaluation } from '../run.js';
import { evaluateModel } from './evaluate-model.js';
import { restoreModel } from './run-state.js';

/**
 * Evaluates a checkpoint: rebuilds the run from the config stored in it, restores
 * backbone and objective state, and computes read-outs and metrics on the run's data.
 * It imports nothing: every component must already be in `registry` (built-ins, and
 * plugins the user loaded); one that is not is an error naming it and its plugin.
 */
export async function evaluateCheckpoint(
  path: string,
  opts: { registry: Registry; baseDir?: string; backend?: BackendChoice; signal?: AbortSignal },
): Promise<Evaluation & { config: RunConfig; epoch: number; step: number; backend: string }> {
  const { registry, baseDir = platform.defaultBaseDir() } = opts;
  // The config first, without a tensor: the run's backend is chosen before any tensor
  // is made (one made before would land on TF.js's default, which greets Node users).
  const meta = await readCheckpointMeta(path);
  if (!meta.config) throw new CheckpointError(`checkpoint ${path} carries no config to rebuild its run from`);
  const parsed = parseRunConfig(meta.config, `config stored in ${path}`);
  // The plugins it names are not imported: a checkpoint may come from anyone. The
  // caller loads the ones the user names (`eval --plugin`) into `registry`.
  let cfg: RunConfig;
  try {
    cfg = resolveRunConfig(parsed, registry);
  } catch (err) {
    if (err instanceof UnknownComponentError) throw unloadedPluginError(`checkpoint ${path}`, parsed.plugins, err);
    throw err;
  }
  const selected = await selectBackend(opts.backend ?? cfg.backend, registry);
  const ckpt = await readCheckpoint(path);
  try {
    // The objective of the stage the checkpoint was written in.
    const run = await buildRun(cfg, registry, baseDir, undefined, (ckpt.meta.stage as number | undefined) ?? 0);
    try {
      restoreModel(ckpt.state, run);
      const result = await evaluateModel(cfg.eval, run, registry, opts.signal);
      return { ...result, config: cfg, epoch: ckpt.meta.epoch, step: ckpt.meta.step, backend: selected.name };
    } finally {
      run.objective.dispose();
      run.backbone.dispose();
    }
  } finally {
    disposeCheckpoint(ckpt);
  }
}
