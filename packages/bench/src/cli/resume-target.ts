import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@clusterflow/core';
import { checkpointsOf } from '../run/resume-check.js';

/** `--resume <checkpoint | run folder>`: the checkpoint, and the bench folder a run folder belongs to. */
export async function resumeTarget(path: string): Promise<{ checkpoint: string; runDir?: string }> {
  const p = resolve(path);
  if (!existsSync(p)) throw new ConfigError(`--resume: ${path} does not exist`);
  if (!statSync(p).isDirectory()) return { checkpoint: p };
  for (const candidate of [join(p, 'checkpoints', 'last.ckpt'), join(p, 'last.ckpt')]) {
    if (existsSync(candidate)) return { checkpoint: candidate, runDir: candidate.endsWith(join('checkpoints', 'last.ckpt')) ? p : undefined };
  }
  // No last.ckpt (a full disk, a kill while writing it): the newest epoch checkpoint (whole ones are checked before training).
  const newest = (await checkpointsOf(join(p, 'checkpoints')))[0];
  if (newest) return { checkpoint: newest, runDir: p };
  throw new ConfigError(`--resume: ${path} holds no checkpoints/last.ckpt, last.ckpt or epoch checkpoint`);
}
