import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import { machineInfo } from '../run/machine.js';
import { lockOut } from '../run/out-lock.js';
import type { BenchResult, RunResult } from '../report/results.js';
import { emptyResult } from '../run/run-one.js';
import { writeBenchPlot, writeResults } from '../report/write-results.js';
import type { RunJobData, RunJobResult, RunProgress } from './jobs.js';
import type { QueuedBench } from './manifest.js';
import { createQueueDisplay, type QueuedRunView } from './queue-display.js';
import { unpackRunFiles } from './run-files.js';

export interface GatherOptions {
  stream: NodeJS.WriteStream;
  /** Ctrl-C: stop waiting (the runs go on in the queue) and keep what has arrived. */
  stop?: AbortSignal;
  /** How often the queue is asked, in ms. */
  pollMs?: number;
}

/** A queued bench and the folder its results go to. */
export interface QueuedBenchOut {
  out: string;
  bench: QueuedBench;
}

/**
 * Waits for the runs of queued benches and writes what a local bench writes: each
 * run's folder as its job ends (from the files its worker sent back), and every
 * bench's results.json and results.md after each run, in the bench's order, then
 * metrics.svg. A job that failed in the queue (its training process died on every
 * attempt, or it is gone from Redis) is recorded as a failed run. Each run is
 * written once, when its job has ended: a job ends once, whichever workers ran it.
 * Each --out is locked as a local bench locks it (run/out-lock.ts): a bench or another
 * gather writing the folder at the same time is refused before anything is written.
 * Returns each bench's results and how many runs had not ended (stopped waiting).
 */
export async function gatherBenches(
  queue: Queue<RunJobData, RunJobResult>,
  benches: readonly QueuedBenchOut[],
  opts: GatherOptions,
): Promise<{ results: BenchResult[]; pending: number }> {
  const releases: (() => void)[] = [];
  try {
    for (const out of new Set(benches.map((b) => b.out))) {
      await mkdir(out, { recursive: true });
      releases.push(lockOut(out, `gather ${benches.map((b) => b.bench.name).join(', ')}`));
    }
    return await gatherInto(queue, benches, opts);
  } finally {
    for (const release of releases) release();
  }
}

async function gatherInto(
  queue: Queue<RunJobData, RunJobResult>,
  benches: readonly QueuedBenchOut[],
  opts: GatherOptions,
): Promise<{ results: BenchResult[]; pending: number }> {
  const display = createQueueDisplay(opts.stream);
  const total = benches.reduce((n, b) => n + b.bench.runs.length, 0);
  const ended = benches.map(() => new Map<string, RunResult>());
  const views = new Map<string, QueuedRunView>();
  const label = (b: number, dir: string) =>
    `${benches.length > 1 ? `${benches[b].bench.name} ` : ''}${benches[b].bench.runs.findIndex((r) => r.dir === dir) + 1}/${benches[b].bench.runs.length} ${dir}`;
  const machine = await machineInfo();
  const results = (b: number): BenchResult => {
    const { bench } = benches[b];
    const runs = bench.runs.flatMap((r) => ended[b].get(r.dir) ?? []);
    const count = (s: RunResult['status']) => runs.filter((r) => r.status === s).length;
    return { name: bench.name, date: bench.queued, machine, runs, ok: count('ok'), failed: count('failed'), interrupted: count('interrupted') };
  };
  try {
    for (;;) {
      for (const [b, { out, bench }] of benches.entries()) {
        let changed = false;
        for (const run of bench.runs) {
          if (ended[b].has(run.dir)) continue;
          const view = await look(queue, run, join(out, run.dir), { name: bench.name, date: bench.queued, machine });
          views.set(`${b}/${run.dir}`, { ...view, label: label(b, run.dir) });
          if (view.result) {
            ended[b].set(run.dir, view.result);
            changed = true;
          }
        }
        if (changed) await writeResults(out, results(b));
      }
      display.update([...views.values()]);
      const done = ended.reduce((n, m) => n + m.size, 0);
      if (done === total || opts.stop?.aborted) {
        for (const [b, { out }] of benches.entries()) {
          await writeResults(out, results(b));
          if (ended[b].size === benches[b].bench.runs.length) await writeBenchPlot(out, results(b), opts.stream);
        }
        return { results: benches.map((_, b) => results(b)), pending: total - done };
      }
      await sleep(opts.pollMs ?? 1000, undefined, { signal: opts.stop }).catch(() => {});
    }
  } finally {
    display.close();
  }
}

/** One run's job as it stands; a job that has ended has its run folder written and its record in `result`. */
async function look(
  queue: Queue<RunJobData, RunJobResult>,
  run: QueuedBench['runs'][number],
  dir: string,
  header: Pick<BenchResult, 'name' | 'date' | 'machine'>,
): Promise<Omit<QueuedRunView, 'label'>> {
  // The state is read before the job: a job read while active has no return value yet,
  // and if it ended between the two reads, 'completed' came with a job whose value was
  // null (a bench waiting on a loaded machine through a Redis restart stopped on that).
  // An ended job no longer changes, so read after its state it is whole.
  const state = await queue.getJobState(run.jobId);
  const job = state === 'unknown' ? undefined : await queue.getJob(run.jobId);
  const failed = async (error: string) => {
    const result: RunResult = { ...emptyResult(run.config, run.dir), status: 'failed', error };
    await mkdir(dir, { recursive: true });
    await writeResults(dir, { ...header, name: `${header.name} / ${run.dir}`, runs: [result], ok: 0, failed: 1, interrupted: 0 });
    return { state: 'failed' as const, result };
  };
  if (!job) return failed(`its job ${run.jobId} is gone from the queue (removed, or Redis restarted without persistence)`);
  if (state === 'completed' && job.returnvalue) {
    const { result, files } = job.returnvalue;
    await mkdir(dir, { recursive: true });
    await unpackRunFiles(dir, files);
    return { state: result.status === 'failed' ? 'failed' : 'done', result };
  }
  if (state === 'failed') return failed(`in the queue, after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
  const progress = typeof job.progress === 'object' ? (job.progress as unknown as RunProgress) : undefined;
  return { state: state === 'active' ? 'running' : 'waiting', progress };
}
