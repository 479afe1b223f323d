import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunConfig } from '@clusterflow/core';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * `<out>/queue.json`: which jobs a queued bench is made of, in the bench's order,
 * written before they are queued, so that `clusterflow report` can gather the bench
 * later, from this folder alone (and record a run whose job was lost as failed).
 */
export interface QueuedBench {
  name: string;
  /** Unique per queued bench: names its jobs and its folder in the workers' shared folder. */
  id: string;
  queued: string;
  runs: { dir: string; jobId: string; config: RunConfig }[];
}

const MANIFEST = 'queue.json';

export async function writeManifest(out: string, bench: QueuedBench): Promise<void> {
  await writeFileAtomic(join(out, MANIFEST), JSON.stringify(bench, null, 2) + '\n');
}

/** The queued bench of `out`, or of each of its sub-folders (a bench of several configs). */
export async function readManifests(out: string): Promise<{ out: string; bench: QueuedBench }[]> {
  const read = async (dir: string) => ({ out: dir, bench: JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as QueuedBench });
  if (existsSync(join(out, MANIFEST))) return [await read(out)];
  const subs = existsSync(out) ? (await readdir(out, { withFileTypes: true })).filter((e) => e.isDirectory() && existsSync(join(out, e.name, MANIFEST))) : [];
  return Promise.all(subs.map((e) => read(join(out, e.name))));
}
