import { mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError, loadPlugins, resolveRunConfig, type ParsedRunConfig, type RunConfig } from '@clusterflow/core';
import type { BenchPlan } from './bench-config.js';
import { machineInfo } from './machine.js';
import { lockOut } from './out-lock.js';
import { checkpointsOf, resumeCandidates, usableCheckpoint } from './resume-check.js';
import { candidatesLeft, trainCandidates } from './candidates.js';
import { earlierRecord } from './earlier-record.js';
import type { PlannedRun } from './planned-run.js';
import { defaultRegistry } from '../registry.js';
import type { BenchResult, RunResult } from '../report/results.js';
import { emptyResult } from './run-one.js';
import { trainRun } from './train-run.js';
import { writeBenchPlot, writeResults } from '../report/write-results.js';

export interface BenchOptions {
  out: string;
  /** Overrides every run's backend (`auto` or a backend's id). */
  backend?: string;
  /** Repeats every run once per seed; default: each run's own seed. */
  seeds?: number[];
  /** Only the runs with these names (all when absent); an unknown name is a ConfigError. */
  only?: string[];
  /** Where progress goes (a bar on a TTY, lines otherwise). */
  stream?: NodeJS.WriteStream;
  /** Plain progress: a line every this many steps. */
  logEvery?: number;
  /** Keep each run's final checkpoint even when the config sets no checkpointDir, and one every epoch unless the config says how often (`train` does). */
  checkpoint?: boolean;
  /** Continue a bench in `out`: keep the runs that finished, resume interrupted ones from their checkpoints. */
  resume?: boolean;
  /** Train again runs that `out` holds as finished (replacing their files); without it they are refused. */
  force?: boolean;
  /** Ctrl-C: the run in progress stops at its next step with a checkpoint; no further run starts. */
  stop?: AbortSignal;
}

/** One run of a bench, ready to train: resolved and validated. */
export type { PlannedRun };

/** Where a run of this bench goes on from, and why it stopped before. */
interface ResumeEntry {
  checkpoint: string;
  /** The run's record so far, whose epochs the continued run's results keep. */
  before?: RunResult;
  /** The error it failed with, when its record says it failed (rather than was cut off). */
  failedBefore?: string;
}

/** The run configs a plan expands to: each run at each seed, with the CLI's overrides applied. */
export function expandRuns(plan: BenchPlan, opts: Pick<BenchOptions, 'backend' | 'seeds' | 'only'>): ParsedRunConfig[] {
  const runs = opts.only ? plan.runs.filter((r) => opts.only!.includes(r.name)) : plan.runs;
  return runs.flatMap((run) => (opts.seeds ?? [run.seed]).map((seed) => ({ ...run, seed, backend: opts.backend ?? run.backend })));
}

/** Throws a ConfigError naming every entry of `only` that is a run of none of the plans. */
export function checkRunNames(plans: readonly BenchPlan[], only: readonly string[]): void {
  const names = plans.flatMap((p) => p.runs.map((r) => r.name));
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(`--only: no run named ${unknown.map((n) => `'${n}'`).join(', ')}; the runs are: ${names.join(', ')}`);
  }
}

export const runDirName = (cfg: Pick<RunConfig, 'name' | 'seed'>) => `${cfg.name.replace(/[^\w.-]+/g, '_')}-seed${cfg.seed}`;

/**
 * Resolves and validates every run of a plan (plugins loaded, every component's
 * options checked by its own schema) before any of them trains: a misspelt option
 * of the seventh run fails now, not hours in. Errors name the run.
 */
export async function planRuns(plan: BenchPlan, opts: Pick<BenchOptions, 'backend' | 'seeds' | 'only'>): Promise<PlannedRun[]> {
  const planned: PlannedRun[] = [];
  for (const parsed of expandRuns(plan, opts)) {
    const registry = defaultRegistry();
    try {
      await loadPlugins(parsed.plugins, registry, plan.baseDir);
      const candidates = plan.candidates?.[parsed.name];
      planned.push({ config: resolveRunConfig(parsed, registry), dir: runDirName(parsed), baseDir: plan.baseDir, ...(candidates ? { candidates } : {}) });
    } catch (err) {
      const e = err as Error;
      e.message = `run '${parsed.name}' of bench '${plan.name}': ${e.message}`;
      throw err;
    }
  }
  return planned;
}

/**
 * Runs every planned run in turn and writes, per run (`<out>/<name>-seed<k>/`) and for
 * the bench (`<out>/`), results.json and results.md, plus each run's assignments and plots.
 * A failed run is recorded and the bench goes on; an interrupted one (Ctrl-C) is
 * recorded with its checkpoint and the bench stops. The caller sets the exit code.
 */
export async function runBench(name: string, runs: readonly PlannedRun[], opts: BenchOptions): Promise<BenchResult> {
  const out = resolve(opts.out);
  await mkdirOut(out);
  // One process at a time per folder: two would replace each other's runs and results.
  const release = lockOut(out, name);
  try {
    return await benchInto(out, name, runs, opts);
  } finally {
    release();
  }
}

async function benchInto(out: string, name: string, runs: readonly PlannedRun[], opts: BenchOptions): Promise<BenchResult> {
  const stream = opts.stream ?? process.stdout;
  // Every run recorded in the folder: this bench's are continued (--resume) or
  // replaced (--force), the others' (an earlier train into the same --out) are kept.
  const recorded = await readPrevious(out);
  const previous = opts.resume ? recorded : new Map<string, RunResult>();
  if (!opts.resume && !opts.force) refuseFinished(out, runs, recorded);
  // Every checkpoint to continue from is checked before anything is written.
  const resumeFrom = new Map<string, ResumeEntry>();
  for (const run of runs) {
    const done = previous.get(run.dir);
    if (done?.status === 'ok') continue;
    if (run.candidates) {
      // Its candidates and its chosen seed are checked as each goes on (trainCandidates).
      const left = candidatesLeft(join(out, run.dir));
      if (left && !opts.resume && !opts.force)
        throw new ConfigError(
          `--out ${out} holds the unfinished run ${run.dir}, which ${left}: --resume continues it, --force trains it again from the start, or choose another --out`,
        );
      continue;
    }
    const mark = recorded.get(run.dir);
    const failedBefore = mark?.status === 'failed' ? (mark.error ?? 'no error recorded') : undefined;
    const own = await checkpointsOf(join(out, run.dir, 'checkpoints'));
    let checkpoint: string | undefined;
    // A checkpoint named (train --resume <checkpoint>) wins over the run folder's own.
    if (run.config.train.resume) {
      checkpoint = await usableCheckpoint(await resumeCandidates(run.config.train.resume), run.config, `run ${run.dir}`);
      if (checkpoint !== run.config.train.resume)
        stream.write(`[${run.dir}] ${run.config.train.resume} cannot continue the run; continuing from ${checkpoint}\n`);
    } else if (opts.resume && own.length > 0) {
      // Interrupted, killed before it could say so (no record at all), or failed (a full
      // disk, a NaN): its newest whole checkpoint, as `train --resume <run folder>` does.
      const what = failedBefore !== undefined ? `the failed run ${run.dir} (--force trains it again from the start)` : `run ${run.dir}`;
      checkpoint = await usableCheckpoint(own, run.config, what);
    } else if (!opts.resume && !opts.force && own.length > 0) {
      // A fresh start would replace its event log and mix its checkpoints with the new
      // run's; for a failed run it would also throw away the epochs it trained.
      const which = failedBefore !== undefined ? `failed run ${run.dir} (${failedBefore})` : `unfinished run ${run.dir}`;
      throw new ConfigError(
        `--out ${out} holds the ${which} with checkpoints up to ${basename(own[0])}: ` +
          '--resume continues it, --force trains it again from the start, or choose another --out',
      );
    }
    if (checkpoint !== undefined) resumeFrom.set(run.dir, { checkpoint, before: earlierRecord(join(out, run.dir), run.config, run.dir, done), failedBefore });
  }
  const bench: BenchResult = { name, date: new Date().toISOString(), machine: await machineInfo(), runs: [], ok: 0, failed: 0, interrupted: 0 };
  const record = async (result: RunResult) => {
    bench.runs.push(result);
    bench[result.status]++;
    // Rewritten after every run: an interrupted bench still leaves the runs done so far.
    await writeResults(out, withOthers(bench, recorded));
  };
  for (const [i, run] of runs.entries()) {
    if (opts.stop?.aborted) break;
    const label = `${i + 1}/${runs.length} ${run.dir}`;
    const done = previous.get(run.dir);
    if (done?.status === 'ok') {
      stream.write(`[${label}] already done (${done.metrics.acc !== undefined ? `acc=${done.metrics.acc.toFixed(4)}` : 'ok'}); kept\n`);
      await record(done);
      continue;
    }
    const dir = join(out, run.dir);
    const resume = resumeFrom.get(run.dir);
    if (resume) {
      const before = resume.before ? `; ${resume.before.perEpoch.length} epochs recorded before it` : '';
      const failed = resume.failedBefore !== undefined ? ` (it failed before: ${resume.failedBefore}; --force trains it again from the start)` : '';
      stream.write(`[${label}] continuing from ${resume.checkpoint}${before}${failed}\n`);
    }
    const common = {
      label,
      stream,
      logEvery: opts.logEvery ?? 20,
      header: { name, date: bench.date, machine: bench.machine },
      // Every run can be interrupted and resumed; its final checkpoint is kept only when asked for.
      keepCheckpoint: opts.checkpoint === true || run.config.train.checkpointDir !== undefined,
      // `train` keeps a checkpoint of every epoch (or as often as the config says), so a
      // run killed without warning (SIGKILL, a power cut) loses at most an epoch.
      ...(opts.checkpoint ? { checkpointEvery: run.config.train.checkpointEvery || 1 } : {}),
      stop: opts.stop,
    };
    // --force: the replaced run's checkpoints go first; killed before its own last.ckpt,
    // the new run would otherwise be resumed from them (trainCandidates does the same).
    const forget = opts.force && !resume && !run.candidates ? rm(join(dir, 'checkpoints'), { recursive: true, force: true }) : Promise.resolve();
    const training = run.candidates
      ? trainCandidates(run, { ...common, out, resume: opts.resume === true, force: opts.force === true })
      : forget.then(() => trainRun(run, { ...common, dir, resume }));
    // A run whose folder cannot be written (read-only, full, in the way) is that run's
    // failure: recorded, and the bench goes on with the others.
    const result = await training.catch((err: unknown) => {
      const failed = unwritableRun(run, dir, err);
      stream.write(`[${label}] FAILED: ${failed.error}\n`);
      return failed;
    });
    await record(result);
  }
  await writeBenchPlot(out, withOthers(bench, recorded), stream);
  return bench;
}

/** The runs of an earlier bench in `out`, by folder, to continue it. */
async function readPrevious(out: string): Promise<Map<string, RunResult>> {
  const path = join(out, 'results.json');
  if (!existsSync(path)) return new Map();
  let old: BenchResult;
  try {
    old = JSON.parse(await readFile(path, 'utf8')) as BenchResult;
  } catch (err) {
    throw new ConfigError(`--out ${out}: its results.json cannot be read (${(err as Error).message}); move it away or choose another --out`);
  }
  return new Map((Array.isArray(old?.runs) ? old.runs : []).filter((r) => typeof r?.dir === 'string').map((r) => [r.dir, r]));
}

/** A finished run is trained again only when asked (--force); --resume keeps it. */
function refuseFinished(out: string, runs: readonly PlannedRun[], recorded: Map<string, RunResult>): void {
  const finished = runs.filter((r) => recorded.get(r.dir)?.status === 'ok').map((r) => r.dir);
  if (finished.length === 0) return;
  throw new ConfigError(
    `--out ${out} already holds the finished run${finished.length > 1 ? 's' : ''} ${finished.join(', ')}: ` +
      '--resume keeps finished runs and continues the others, --force trains them again (replacing their files), or choose another --out',
  );
}

/** What results.json holds: this bench's runs, after the other runs recorded in the folder. */
function withOthers(bench: BenchResult, recorded: Map<string, RunResult>): BenchResult {
  const mine = new Set(bench.runs.map((r) => r.dir));
  const runs = [...[...recorded.values()].filter((r) => !mine.has(r.dir)), ...bench.runs];
  const count = (s: RunResult['status']) => runs.filter((r) => r.status === s).length;
  return { ...bench, runs, ok: count('ok'), failed: count('failed'), interrupted: count('interrupted') };
}

/** The record of a run whose files could not be written; the error names the path (Node's do). */
function unwritableRun(run: PlannedRun, dir: string, err: unknown): RunResult {
  const e = err as NodeJS.ErrnoException;
  if (!e?.code || !e.syscall) throw err; // not the file system's: a bug, not the run's
  const readOnly = e.code === 'EROFS' || e.code === 'EACCES' || e.code === 'EPERM' ? ' (read-only or not permitted)' : '';
  return { ...emptyResult(run.config, run.dir), status: 'failed', error: `cannot write the run's files in ${dir}${readOnly}: ${e.message}` };
}

/** Makes the output folder; a read-only place is named as such. */
async function mkdirOut(out: string): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EROFS' || e.code === 'EACCES' || e.code === 'EPERM')
      throw new ConfigError(`--out ${out}: cannot create the folder: read-only or not permitted (${e.code})`);
    throw err;
  }
}
