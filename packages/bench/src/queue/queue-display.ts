import { MultiBar, type SingleBar } from 'cli-progress';
import { metricText } from '@clusterflow/core';
import { endText } from '../run/progress.js';
import type { RunResult } from '../report/results.js';
import type { RunProgress } from './jobs.js';

/** One run of a queued bench as the gatherer last saw it. */
export interface QueuedRunView {
  /** `<i>/<n> <run folder>`. */
  label: string;
  state: 'waiting' | 'running' | 'done' | 'failed';
  progress?: RunProgress;
  /** Done or failed: its record. */
  result?: RunResult;
}

export interface QueueDisplay {
  update(views: readonly QueuedRunView[]): void;
  close(): void;
}

/**
 * Progress across the runs of queued benches: on a terminal a bar for all runs and one
 * per running run; elsewhere a line when a run starts, moves to another worker,
 * finishes an epoch or ends.
 */
export function createQueueDisplay(stream: NodeJS.WriteStream): QueueDisplay {
  const seen = new Map<string, QueuedRunView>();
  const changes = (views: readonly QueuedRunView[], epochs: boolean): string[] => {
    const lines: string[] = [];
    for (const v of views) {
      const before = seen.get(v.label);
      seen.set(v.label, v);
      lines.push(...viewLines(before, v, epochs).map((l) => `[${v.label}] ${l}`));
    }
    return lines;
  };
  if (!stream.isTTY) {
    let summary = '';
    return {
      update(views) {
        for (const line of changes(views, true)) stream.write(line + '\n');
        const s = summaryText(views);
        if (s !== summary) stream.write(`queue: ${(summary = s)}\n`);
      },
      close() {},
    };
  }
  const multi = new MultiBar({ format: '{label} [{bar}] {percentage}% | {info}', stream, hideCursor: true, clearOnComplete: false, etaBuffer: 50 });
  let total: SingleBar | undefined;
  const bars = new Map<string, SingleBar>();
  return {
    update(views) {
      total ??= multi.create(views.length, 0, { label: 'all runs', info: '' });
      // Each line is written over a bar's line: erase it first (\x1b[2K), or the bar's tail shows behind a shorter line.
      for (const line of changes(views, false)) multi.log(`\x1b[2K${line}\n`);
      total.setTotal(views.length);
      total.update(views.filter((v) => v.state === 'done' || v.state === 'failed').length, { info: summaryText(views) });
      for (const v of views) {
        const bar = bars.get(v.label);
        if (v.state !== 'running') {
          if (bar) multi.remove(bar);
          bars.delete(v.label);
          continue;
        }
        const p = v.progress;
        const payload = { label: v.label, info: p ? progressText(p) : 'starting' };
        if (!bar) bars.set(v.label, multi.create(p?.steps ?? 1, p?.step ?? 0, payload));
        else {
          if (p?.steps) bar.setTotal(p.steps);
          bar.update(p?.step ?? 0, payload);
        }
      }
    },
    close: () => multi.stop(),
  };
}

/** What changed for a run since it was last seen, as lines; `epochs`: also a line per finished epoch. */
function viewLines(before: QueuedRunView | undefined, v: QueuedRunView, epochs: boolean): string[] {
  const p = v.progress;
  if (v.state === 'done' || v.state === 'failed') {
    if (before?.state === v.state) return [];
    const r = v.result!;
    // A takeover the polls did not see running (a loaded machine, a short rest of the run) is still told.
    const last = r.takeovers?.at(-1);
    const unseen =
      last && before?.progress?.worker !== last.worker ? [`${last.worker}${r.backend ? ` (${r.backend})` : ''} continues it from epoch ${last.epoch}`] : [];
    return [...unseen, `${endText(r)}${r.worker ? ` (${r.worker.id})` : ''}`];
  }
  if (v.state !== 'running' || !p) return [];
  const lines: string[] = [];
  if (before?.progress?.worker !== p.worker) {
    const how = p.resumedAt !== undefined ? `continues it from epoch ${p.resumedAt}` : before?.progress ? 'starts it again' : 'took it';
    lines.push(`${p.worker}${p.backend ? ` (${p.backend})` : ''} ${how}`);
  }
  // The same worker as last seen continues from its epoch; a progress read from Redis without a worker is not taken for one.
  const sameWorker = before?.progress !== undefined && before.progress.worker === p.worker;
  if (epochs && p.epoch > (sameWorker ? before!.progress!.epoch : (p.resumedAt ?? 0))) {
    const metrics = p.metrics ? metricText(p.metrics) : '';
    lines.push(`epoch ${p.epoch}/${p.epochs} done${p.loss !== undefined ? `, loss ${p.loss.toFixed(4)}` : ''}${metrics ? `: ${metrics}` : ''}`);
  }
  return lines;
}

function progressText(p: RunProgress): string {
  const parts = [`epoch ${Math.min(p.epoch + 1, p.epochs)}/${p.epochs}`];
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.imagesPerSec !== undefined) parts.push(`${p.imagesPerSec.toFixed(0)} img/s`);
  parts.push(`${p.worker}${p.backend ? ` (${p.backend})` : ''}`);
  return parts.join(' | ');
}

function summaryText(views: readonly QueuedRunView[]): string {
  const n = (s: QueuedRunView['state']) => views.filter((v) => v.state === s).length;
  return `${n('done')} done, ${n('failed')} failed, ${n('running')} running, ${n('waiting')} waiting`;
}
