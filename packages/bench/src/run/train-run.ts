import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunConfig, TrainEvent } from '@clusterflow/core';
import { EventLog } from '../report/event-log.js';
import type { PlannedRun } from './planned-run.js';
import { createDisplay } from './progress.js';
import { defaultRegistry } from '../registry.js';
import type { BenchResult, RunResult, Selection, WorkerInfo } from '../report/results.js';
import { runOne } from './run-one.js';
import { writeRunArtifacts } from '../report/run-artifacts.js';
import { writeResults } from '../report/write-results.js';

export interface TrainRunOptions {
  /** The run's folder: results, assignments, plots, and `checkpoints/`. */
  dir: string;
  /** Prefix of the run's progress lines, e.g. `2/6 cc-seed0`. */
  label: string;
  stream: NodeJS.WriteStream;
  /** Plain progress: a line every this many steps. */
  logEvery: number;
  /** Name, date and machine of the bench, for the run's own results.json. */
  header: Pick<BenchResult, 'name' | 'date' | 'machine'>;
  /** Checkpoints every this many epochs (0: none on the way); default: the config's `train.checkpointEvery`. */
  checkpointEvery?: number;
  /** Keep the final checkpoint. */
  keepCheckpoint: boolean;
  /** Continue from this checkpoint; `before` is what the run had recorded up to it. */
  resume?: { checkpoint: string; before?: RunResult };
  /** Ctrl-C: the run stops at its next step with a checkpoint. */
  stop?: AbortSignal;
  /** Cancels the run within a step; a cancelled run writes nothing more into `dir`. */
  signal?: AbortSignal;
  /** The queue worker training the run, recorded in its results. */
  worker?: WorkerInfo;
  /** Every event, with the run's record so far. */
  onEvent?: (e: TrainEvent, result: RunResult) => void;
  /** A run that chose its seed among candidates (candidates.ts): its own seed, and the choice. */
  selection?: { seed: number; record: Selection };
}

/**
 * Trains one planned run into its folder: `results.json` and `results.md` of the run,
 * its assignments and plots, and its checkpoints. A local bench and a queue worker
 * both train runs through here, so a run's folder is the same wherever it trained.
 */
export async function trainRun(run: PlannedRun, opts: TrainRunOptions): Promise<RunResult> {
  await mkdir(opts.dir, { recursive: true });
  const checkpoints = join(opts.dir, 'checkpoints');
  const cfg: RunConfig = {
    ...run.config,
    train: { ...run.config.train, checkpointDir: checkpoints, resume: opts.resume?.checkpoint ?? run.config.train.resume },
  };
  const display = createDisplay(opts.label, { stream: opts.stream, logEvery: opts.logEvery });
  const checkpointHook = {
    id: 'checkpoint',
    options: { dir: checkpoints, every: opts.checkpointEvery ?? cfg.train.checkpointEvery, atEnd: opts.keepCheckpoint },
  };
  // The live view (`clusterflow serve`) reads each run's events from its folder; a resumed run appends to them.
  const log = new EventLog(opts.dir, { fresh: cfg.train.resume === undefined, warn: display.logger.warn });
  // A fresh registry per run: plugins of one run cannot leak into the next.
  const registry = defaultRegistry();
  const { result, summary, stageClusters } = await runOne(cfg, {
    registry,
    baseDir: run.baseDir,
    dir: run.dir,
    hooks: [...display.hooks, checkpointHook, log.hook],
    logger: display.logger,
    stop: opts.stop,
    signal: opts.signal,
    onEvent: opts.onEvent,
  });
  // The run's folder may already be another worker's (one that took a run this worker lost).
  if (opts.signal?.aborted) return result;
  if (opts.resume?.before) continueFrom(opts.resume.before, result);
  if (opts.worker) result.worker = opts.worker;
  if (opts.selection) recordSelection(result, opts.selection);
  // The config as written: where this machine kept the checkpoints is no part of it.
  result.config = { ...run.config, train: { ...run.config.train, resume: undefined } };
  const status = (s: RunResult['status']) => +(result.status === s);
  const writeRecord = () =>
    writeResults(opts.dir, {
      ...opts.header,
      name: `${opts.header.name} / ${run.dir}`,
      runs: [result],
      ok: status('ok'),
      failed: status('failed'),
      interrupted: status('interrupted'),
    });
  // The small record first: a disk that fills up while the assignments and plots are
  // written still leaves the run's metrics; then again with the files that were written.
  await writeRecord();
  await writeRunArtifacts(opts.dir, result, summary, { registry, baseDir: run.baseDir, stageClusters });
  display.end(result);
  await writeRecord();
  log.end(result);
  return result;
}

/** The run's own seed (its name), its choice, and the time of the candidates it did not go on with. */
function recordSelection(result: RunResult, { seed, record }: NonNullable<TrainRunOptions['selection']>): void {
  result.seed = seed;
  result.selection = record;
  // The chosen candidate's time is in the record already: its event log is the run's first part.
  for (const c of record.candidates) if (c.seed !== record.chosen) result.wallSeconds += c.wallSeconds;
}

/**
 * A resumed run's record starts with what its earlier part recorded up to where the
 * resumed part starts (its first step); what the earlier part did after its checkpoint
 * was done again, and the resumed part's record of it counts.
 */
export function continueFrom(before: RunResult, after: RunResult): void {
  const first = after.stepLoss[0];
  const firstStep = first?.step ?? Infinity;
  const firstEpoch = first?.epoch ?? after.perEpoch[0]?.epoch ?? Infinity;
  after.perEpoch = [...before.perEpoch.filter((e) => e.epoch < firstEpoch), ...after.perEpoch];
  after.stepLoss = [...before.stepLoss.filter((s) => s.step < firstStep), ...after.stepLoss];
  after.warnings = [...before.warnings, ...after.warnings];
  after.wallSeconds += before.wallSeconds;
  if (before.takeovers) after.takeovers = [...before.takeovers, ...(after.takeovers ?? [])];
}
