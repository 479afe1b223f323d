import { hostname } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { selectBackend } from '@clusterflow/core';
import { machineInfo } from '../run/machine.js';
import { defaultRegistry } from '../registry.js';
import type { WorkerInfo } from '../report/results.js';
import { checkRedis, QUEUE_NAME, sayErrors, type QueueAddress } from './connection.js';
import type { RunJobData, RunJobResult } from './jobs.js';
import { watchRedis } from './redis-watch.js';
import { settingsEnv, type WorkerSettings } from './worker-settings.js';

export interface WorkerOptions {
  address: QueueAddress;
  /** Runs trained at once, each in a process of its own. */
  concurrency: number;
  /** Replaces every run's backend; default: each run's own. */
  backend?: string;
  /** The shared folder for run folders and checkpoints. */
  out?: string;
  /** Replaces the base folder the queued runs' relative paths are resolved against. */
  baseDir?: string;
  logEvery: number;
  /**
   * A run whose worker has not renewed its lock for this long is handed to another
   * worker (BullMQ's lockDuration; the stalled-job check runs as often).
   */
  lockSeconds: number;
  stream: NodeJS.WriteStream;
  /** Ctrl-C: take no more runs, finish those in progress, then return. */
  stop?: AbortSignal;
  /** Seconds without an answer from Redis after which the worker stops with an error; default: wait for ever. */
  giveUpAfter?: number;
}

/** How often a run may be found lost before the queue gives up on it (BullMQ's maxStalledCount). */
const MAX_LOST = 5;

/**
 * `clusterflow worker`: takes runs from the queue and trains them until stopped. It
 * says which machine and backend it is, then one line per run taken, ended or lost.
 * Redis going away is waited out: BullMQ reconnects, and the runs in progress go on.
 */
export async function runWorker(opts: WorkerOptions): Promise<void> {
  const say = (text: string) => opts.stream.write(`worker: ${text}\n`);
  const info: WorkerInfo = { id: `${hostname()}/${process.pid}`, host: hostname(), machine: await machineInfo() };
  const m = info.machine;
  // Chosen here once to say what this machine offers, and to refuse a backend it cannot start before taking any run.
  const backend = await selectBackend(opts.backend ?? 'auto', defaultRegistry());
  say(`${info.id}: ${m.cpu}, ${m.cores} cores; ${m.os}; node ${m.node}; tfjs ${m.tfjs}`);
  say(opts.backend ? `every run on ${backend.summary.replace(/^backend: /, '')}` : `each run on its config's backend (auto picks ${backend.name} here)`);
  say(
    `queue ${opts.address.display}, ${opts.concurrency} run${opts.concurrency > 1 ? 's' : ''} at a time; ` +
      (opts.out ? `run folders and checkpoints in ${opts.out}` : 'no shared folder: a lost run starts again elsewhere'),
  );
  // A database the Redis lacks, or refused credentials: said now, not waited on forever.
  await checkRedis(opts.address);
  const settings: WorkerSettings = { worker: info, backend: opts.backend, out: opts.out, baseDir: opts.baseDir, logEvery: opts.logEvery };
  // The processor is this module's sibling, with this module's extension (.ts when run from source).
  const processor = new URL(`./run-job${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  const worker = new Worker<RunJobData, RunJobResult>(QUEUE_NAME, processor, {
    connection: opts.address.connection,
    concurrency: opts.concurrency,
    lockDuration: opts.lockSeconds * 1000,
    stalledInterval: opts.lockSeconds * 1000,
    maxStalledCount: MAX_LOST,
    workerForkOptions: { env: settingsEnv(settings) },
  });
  const name = (job?: { data: RunJobData }) => (job ? `${job.data.bench.name} ${job.data.dir}` : 'a run');
  worker.on('active', (job) => say(`took ${name(job)}${job.attemptsStarted > 1 ? ` (start ${job.attemptsStarted})` : ''}`));
  worker.on('completed', (job, value) => say(`${name(job)}: ${value.result.status}`));
  worker.on('failed', (job, err) => say(`${name(job)} failed in this worker: ${err.message}`));
  worker.on('stalled', (jobId) => say(`run ${jobId} was lost by its worker; back in the queue`));
  // A lost lock means the queue may already have handed the run to another worker: stop it here.
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) if (worker.cancelJob(id, 'this worker lost its lock on the run')) say(`lost the lock on ${id}: stopped it here`);
  });
  sayErrors(worker, say);
  let gaveUp: string | undefined;
  let unwatch = () => {};
  await new Promise<void>((resolve) => {
    const close = () => {
      say('taking no more runs; the runs in progress finish first (Ctrl-C again to quit at once: they go back to the queue)');
      worker.close().then(resolve, resolve);
    };
    // Says while Redis does not answer, and gives up after --give-up-after when asked to.
    unwatch = watchRedis(opts.address, say, opts.giveUpAfter, (reason) => {
      gaveUp = reason;
      say(`giving up: ${reason}`);
      // Without Redis the runs in progress cannot report: they go back to the queue when it returns (stalled).
      worker.close(true).then(resolve, resolve);
    });
    if (opts.stop?.aborted) close();
    else opts.stop?.addEventListener('abort', close, { once: true });
  });
  unwatch();
  if (gaveUp) throw new Error(`worker gave up: ${gaveUp}`);
  say('stopped');
}
