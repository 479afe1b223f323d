import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadPlugins, resolveRunConfig, type ParsedRunConfig, type RunConfig } from '@clusterflow/core';
import type { BenchPlan } from './bench-config.js';
import { machineInfo } from './machine.js';
import type { PlannedRun } from './planned-run.js';
import { defaultRegistry } from './registry.js';
import type { BenchResult, RunResult } from './results.js';
import { trainRun } from './train-run.js';
import { writeBenchPlot, writeResults } from './write-results.js';

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
  /** Ctrl-C: the run in progress stops at its next step with a checkpoint; no further run starts. */
  stop?: AbortSignal;
}

/** One run of a bench, ready to train: resolved and validated. */
export type { PlannedRun };

/** The run configs a plan expands to: each run at each seed, with the CLI's overrides applied. */
export function expandRuns(plan: BenchPlan, opts: Pick<BenchOptions, 'backend' | 'seeds' | 'only'>): ParsedRunConfig[] {
  const runs = opts.only ? plan.runs.filter((r) => opts.only!.includes(r.name)) : plan.runs;
  return runs.flatMap((run) =>
    (opts.seeds ?? [run.seed]).map((seed) => ({ ...run, seed, backend: opts.backend ?? run.backend })),
  );
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
      planned.push({ config: resolveRunConfig(parsed, registry), dir: runDirName(parsed), baseDir: plan.baseDir });
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
  await mkdir(out, { recursive: true });
  const stream = opts.stream ?? process.stdout;
  const previous = opts.resume ? await readPrevious(out) : new Map<string, RunResult>();
  const bench: BenchResult = { name, date: new Date().toISOString(), machine: machineInfo(), runs: [], ok: 0, failed: 0, interrupted: 0 };
  const record = async (result: RunResult) => {
    bench.runs.push(result);
    bench[result.status]++;
    // Rewritten after every run: an interrupted bench still leaves the runs done so far.
    await writeResults(out, bench);
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
    const last = join(dir, 'checkpoints', 'last.ckpt');
    const result = await trainRun(run, {
      dir,
      label,
      stream,
      logEvery: opts.logEvery ?? 20,
      header: { name, date: bench.date, machine: bench.machine },
      // Every run can be interrupted and resumed; its final checkpoint is kept only when asked for.
      keepCheckpoint: opts.checkpoint === true || run.config.train.checkpointDir !== undefined,
      // `train` keeps a checkpoint of every epoch (or as often as the config says), so a
      // run killed without warning (SIGKILL, a power cut) loses at most an epoch.
      ...(opts.checkpoint ? { checkpointEvery: run.config.train.checkpointEvery || 1 } : {}),
      resume: opts.resume && done?.status === 'interrupted' && existsSync(last) ? { checkpoint: last, before: done } : undefined,
      stop: opts.stop,
    });
    await record(result);
  }
  await writeBenchPlot(out, bench, stream);
  return bench;
}

/** The runs of an earlier bench in `out`, by folder, to continue it. */
async function readPrevious(out: string): Promise<Map<string, RunResult>> {
  const path = join(out, 'results.json');
  if (!existsSync(path)) return new Map();
  const old = JSON.parse(await readFile(path, 'utf8')) as BenchResult;
  return new Map(old.runs.map((r) => [r.dir, r]));
}
