import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Queue } from 'bullmq';
import type { PlannedRun } from '../run/bench.js';
import { runJobId, type RunJobData, type RunJobResult } from './jobs.js';
import { writeManifest, type QueuedBench } from './manifest.js';

/**
 * Attempts per run. A run's own failure (bad config, a non-finite loss) is a result,
 * not an error, and is never retried; these are for a training process that died
 * (out of memory, a crashed backend) or a worker that could not write its files.
 * A worker that is lost (killed, its machine gone) is not an attempt: the queue's
 * stalled-job check hands its run to another worker.
 */
const ATTEMPTS = 3;

/** Queues one job per run of a planned bench, after writing `<out>/queue.json`. */
export async function enqueueBench(queue: Queue<RunJobData, RunJobResult>, name: string, runs: readonly PlannedRun[], out: string): Promise<QueuedBench> {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const id = `${name.replace(/[^\w.-]+/g, '_')}-${stamp}-${randomBytes(3).toString('hex')}`;
  const bench: QueuedBench = {
    name,
    id,
    queued: new Date().toISOString(),
    runs: runs.map((r) => ({ dir: r.dir, jobId: runJobId(id, r.dir), config: r.config })),
  };
  await mkdir(out, { recursive: true });
  await writeManifest(out, bench);
  await queue.addBulk(
    runs.map((run) => ({
      name: run.dir,
      data: { bench: { name, id }, dir: run.dir, config: run.config, baseDir: run.baseDir },
      opts: { jobId: runJobId(id, run.dir), attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 10_000 } },
    })),
  );
  return bench;
}
