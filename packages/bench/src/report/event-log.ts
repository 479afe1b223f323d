import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Hook, HookContext } from '@clusterflow/core';
import { isImageDataset, orderedConfusion } from '@clusterflow/report';
import { writeFileAtomic } from '../util/atomic-write.js';
import { EVENTS_FILE, loggedEvent, type LoggedEvent, type Writer } from './events-file.js';
import type { RunResult } from './results.js';
import { sampleGridPng } from './sample-grid.js';

export interface EventLogOptions {
  /** Start the file afresh (a new run); otherwise append (a resumed one). */
  fresh: boolean;
  /** Where a failed write is reported, once; the run goes on without its log. */
  warn: (message: string) => void;
}

/**
 * Appends a run's events to `<dir>/events.jsonl` (see events-file.ts), line by line
 * as they are emitted. After each evaluation it also logs the confusion matrix of
 * the main read-out and rewrites `<dir>/samples.png`, so that the live view shows
 * the clusters as they form. `end()` writes the closing line.
 */
export class EventLog {
  readonly path: string;
  readonly hook: Hook;
  private fd: number | undefined;
  private failed = false;
  private lastSnapshotStep = -1;
  private readonly writer: Writer = { pid: process.pid, host: hostname() };

  constructor(
    private readonly dir: string,
    private readonly opts: EventLogOptions,
  ) {
    this.path = join(dir, EVENTS_FILE);
    this.hook = {
      id: 'event-log',
      onEvent: (e) => this.append(loggedEvent(e, this.writer)),
      onEpochEnd: (ctx) => this.snapshot(ctx),
      // A run stopped early is evaluated once more at its end.
      onRunEnd: (ctx) => this.snapshot(ctx),
    };
  }

  /** The closing line (how the run ended); call it once the run's files are written. */
  end(result: RunResult): void {
    this.append({ type: 'run-end', status: result.status, ...(result.error ? { error: result.error } : {}) });
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private append(event: LoggedEvent): void {
    if (this.failed) return;
    try {
      if (this.fd === undefined) {
        // A new file, not the old one emptied: a reader following the old one sees it replaced.
        if (this.opts.fresh) rmSync(this.path, { force: true });
        this.fd = openSync(this.path, 'a');
      }
      // The time first: it makes each run's log start differently (see serve/log-file.ts).
      writeSync(this.fd, JSON.stringify({ t: Date.now(), ...event }) + '\n');
    } catch (err) {
      // onEvent must not throw: losing the live view is no reason to lose the run.
      this.failed = true;
      this.opts.warn(`${EVENTS_FILE} not written: ${(err as Error).message}`);
    }
  }

  private async snapshot(ctx: HookContext): Promise<void> {
    const evaluation = ctx.evaluation;
    if (!evaluation || evaluation.step === this.lastSnapshotStep) return;
    this.lastSnapshotStep = evaluation.step;
    const readout = evaluation.mainReadout;
    const clusters = evaluation.readouts[readout];
    const labels = ctx.run.dataset.labels;
    try {
      this.append({
        type: 'evaluation',
        epoch: evaluation.epoch,
        step: evaluation.step,
        readout,
        ...(labels ? { confusion: orderedConfusion(labels, clusters) } : {}),
      });
      if (!isImageDataset(ctx.run.dataset)) return;
      const png = await sampleGridPng(ctx.run.dataset, clusters, evaluation.clusterSizes[readout].length);
      // Atomically: the live view never serves half a picture.
      await writeFileAtomic(join(this.dir, 'samples.png'), png);
    } catch (err) {
      // As for the log: the run goes on without its picture.
      this.opts.warn(`live view snapshot not written: ${(err as Error).message}`);
    }
  }
}
