import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, configHash, disposeCheckpoint, readCheckpoint, type RunConfig } from '@clusterflow/core';

/** Why a checkpoint cannot continue a run (unreadable, corrupt, another config), or undefined when it can. */
export async function checkpointProblem(path: string, config: RunConfig): Promise<string | undefined> {
  let ckpt;
  try {
    ckpt = await readCheckpoint(path);
  } catch (err) {
    return (err as Error).message;
  }
  try {
    const hash = await configHash(config);
    if (ckpt.meta.configHash !== hash) {
      return `checkpoint ${path} was written by a different configuration (hash ${ckpt.meta.configHash}, this run ${hash})`;
    }
    return undefined;
  } finally {
    disposeCheckpoint(ckpt);
  }
}

/** A run folder's checkpoints, newest first: last.ckpt, then the epoch checkpoints by time written. */
export function checkpointsOf(checkpointsDir: string): string[] {
  if (!existsSync(checkpointsDir)) return [];
  const epochs = readdirSync(checkpointsDir)
    .filter((f) => f.endsWith('.ckpt') && f !== 'last.ckpt')
    .map((f) => join(checkpointsDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs || b.localeCompare(a));
  const last = join(checkpointsDir, 'last.ckpt');
  return [...(existsSync(last) ? [last] : []), ...epochs];
}

/**
 * The checkpoint to continue a run from: the first of `candidates` that can, or an
 * error naming each one and why not, thrown before the run's files are touched (a
 * failed resume once rewrote a finished run's results as failed). A full disk or a
 * kill may leave last.ckpt missing or half written: the newest epoch checkpoint
 * that is whole then continues the run.
 */
export async function usableCheckpoint(candidates: readonly string[], config: RunConfig, what: string): Promise<string> {
  const problems: string[] = [];
  for (const path of candidates) {
    const problem = await checkpointProblem(path, config);
    if (problem === undefined) return path;
    problems.push(problem);
  }
  throw new ConfigError(`--resume: ${what} cannot be continued; nothing was written: ${problems.join('; ') || 'no checkpoint found'}`);
}

/** An explicit checkpoint to resume from, with the run folder's others to fall back on when it is its last.ckpt. */
export function resumeCandidates(path: string): string[] {
  if (basename(path) !== 'last.ckpt' && !/epoch-\d+\.ckpt$/.test(path)) return [path];
  // A run folder's own checkpoint (train --resume <run folder>): the others in its folder behind it.
  return [path, ...checkpointsOf(dirname(path)).filter((p) => p !== path)];
}
