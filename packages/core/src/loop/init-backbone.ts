import { platform } from '#platform';
import type { Backbone } from '../backbone.js';
import { disposeCheckpoint, readCheckpoint } from '../checkpoint.js';
import { CheckpointError } from '../errors.js';
import { stripPrefix } from '../prefix.js';
import type { TensorMap } from '../tensors.js';

/** Where a started backbone came from, for the run's log. */
export interface BackboneOrigin {
  path: string;
  /** The backbone id the checkpoint records. */
  backbone?: string;
  /** Its stage (by name when its config names stages) and the epochs of that stage completed. */
  stage?: string;
  epoch: number;
}

/** The checkpoint `init.backbone` names for this run: `{seed}` replaced by its seed (one stage-1 run per seed), resolved against `baseDir`. */
export function initBackbonePath(init: { backbone: string }, seed: number, baseDir: string): string {
  return platform.resolvePath(baseDir, init.backbone.replaceAll('{seed}', String(seed)));
}

/**
 * Loads the backbone weights of a checkpoint another run wrote into `backbone`
 * (config `init.backbone`). Only arrays are read: a checkpoint may come from
 * anyone, and nothing in it runs. A checkpoint of another architecture fails
 * before any weight changes, naming the file, both backbones and the first
 * mismatch.
 */
export async function loadBackboneFrom(path: string, backbone: Backbone): Promise<BackboneOrigin> {
  const ckpt = await readCheckpoint(path);
  try {
    const weights = stripPrefix('backbone/', ckpt.state) as TensorMap;
    const recorded = typeof ckpt.meta.backbone === 'string' ? ckpt.meta.backbone : undefined;
    if (Object.keys(weights).length === 0) throw new CheckpointError(`init.backbone: checkpoint ${path} holds no backbone weights`);
    try {
      backbone.setState(weights);
    } catch (err) {
      throw new CheckpointError(
        `init.backbone: the backbone in checkpoint ${path} (${recorded ?? 'id not recorded'}) does not fit this run's '${backbone.id}': ${(err as Error).message}`,
        { cause: err },
      );
    }
    return { path, backbone: recorded, stage: stageName(ckpt.meta), epoch: ckpt.meta.epoch };
  } finally {
    disposeCheckpoint(ckpt);
  }
}

/** The recorded stage's name from the checkpoint's stored config, when it has stages. */
function stageName(meta: { stage?: number; config?: unknown }): string | undefined {
  const stages = (meta.config as { stages?: { name?: unknown }[] } | undefined)?.stages;
  const name = stages?.[meta.stage ?? 0]?.name;
  return typeof name === 'string' ? name : undefined;
}
