import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, type BackendChoice, type RunConfig } from '@clusterflow/core';
import type { BenchPlan } from './bench-config.js';
import { machineInfo } from './machine.js';
import { benchMetricsSpec, renderSvg } from './plots.js';
import { createProgress } from './progress.js';
import { defaultRegistry } from './registry.js';
import { resultsMarkdown } from './report-md.js';
import type { BenchResult, RunResult } from './results.js';
import { runOne } from './run-one.js';
import { writeRunArtifacts } from './run-artifacts.js';

export interface BenchOptions {
  out: string;
  /** Overrides every run's backend. */
  backend?: BackendChoice;
  /** Repeats every run once per seed; default: each run's own seed. */
  seeds?: number[];
  /** Only the runs with these names (all when absent); an unknown name is a ConfigError. */
  only?: string[];
  /** Where progress goes (a bar on a TTY, lines otherwise). */
  stream?: NodeJS.WriteStream;
  /** Plain progress: a line every this many steps. */
  logEvery?: number;
  /** Checkpoints go to `<run dir>/checkpoints` even when the config sets no checkpointDir. */
  checkpoint?: boolean;
}

/** The run configs a plan expands to: each run at each seed, with the CLI's overrides applied. */
export function expandRuns(plan: BenchPlan, opts: Pick<BenchOptions, 'backend' | 'seeds' | 'only'>): RunConfig[] {
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
 * Runs every run of a plan in turn and writes, per run (`<out>/<name>-seed<k>/`) and for
 * the bench (`<out>/`), results.json and results.md, plus each run's assignments and plots.
 * A failed run is recorded and the bench goes on; the caller sets the exit code.
 */
export async function runBench(plan: BenchPlan, opts: BenchOptions): Promise<BenchResult> {
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });
  const stream = opts.stream ?? process.stdout;
  const configs = expandRuns(plan, opts);
  const bench: BenchResult = { name: plan.name, date: new Date().toISOString(), machine: machineInfo(), runs: [], ok: 0, failed: 0 };
  for (const [i, base] of configs.entries()) {
    const dirName = runDirName(base);
    const dir = join(out, dirName);
    await mkdir(dir, { recursive: true });
    // Checkpoints of a bench live with the run's other files, so seeds never overwrite each other.
    const wantsCheckpoints = opts.checkpoint || base.train.checkpointDir !== undefined;
    const cfg: RunConfig = wantsCheckpoints ? { ...base, train: { ...base.train, checkpointDir: join(dir, 'checkpoints') } } : base;
    const label = `${i + 1}/${configs.length} ${dirName}`;
    const progress = createProgress(label, { stream, logEvery: opts.logEvery ?? 20 });
    // A fresh registry per run: plugins of one run cannot leak into the next.
    const registry = defaultRegistry();
    const { result, summary } = await runOne(cfg, { registry, baseDir: plan.baseDir, dir: dirName, onEvent: (e) => progress.event(e) });
    await writeRunArtifacts(dir, result, summary, { registry, baseDir: plan.baseDir });
    progress.end(result);
    bench.runs.push(result);
    bench[result.status]++;
    const single: BenchResult = { ...bench, name: `${plan.name} / ${dirName}`, runs: [result], ok: result.status === 'ok' ? 1 : 0, failed: result.status === 'failed' ? 1 : 0 };
    await writeResults(dir, single);
    // Rewritten after every run: an interrupted bench still leaves the runs done so far.
    await writeResults(out, bench);
  }
  if (bench.ok > 0) {
    try {
      await writeFile(join(out, 'metrics.svg'), await renderSvg(benchMetricsSpec(bench.runs)));
    } catch (err) {
      stream.write(`metrics.svg not written: ${(err as Error).message}\n`);
    }
  }
  return bench;
}

async function writeResults(dir: string, bench: BenchResult): Promise<void> {
  await writeFile(join(dir, 'results.json'), JSON.stringify(bench, null, 2) + '\n');
  await writeFile(join(dir, 'results.md'), resultsMarkdown(bench));
}
