import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig, TrainEvent } from '@clusterflow/core';
import { EVENTS_FILE, parseLogLines, type LogLine } from '../report/events-file.js';
import type { RunResult } from '../report/results.js';
import { emptyResult } from './run-one.js';
import { recordEvent } from './record-event.js';

/**
 * What a run about to be resumed had recorded before its checkpoint. Its event log
 * (events.jsonl, appended to by every part of the run) is the whole story: a run
 * killed without warning (SIGKILL, a session's end, a power cut) never wrote its
 * results.json, and one interrupted twice has only its first part there. The
 * results.json record of an interrupted run is used where the log is missing.
 */
export function earlierRecord(runFolder: string, cfg: RunConfig, dir: string, recorded: RunResult | undefined): RunResult | undefined {
  const fromLog = recordFromEventLog(join(runFolder, EVENTS_FILE), cfg, dir);
  if (fromLog) return fromLog;
  return recorded?.status === 'interrupted' ? recorded : undefined;
}

/** The record that a run's event log rebuilds (steps, epochs, warnings, wall time), or undefined when it holds none. */
export function recordFromEventLog(path: string, cfg: RunConfig, dir: string): RunResult | undefined {
  if (!existsSync(path)) return undefined;
  const { lines } = parseLogLines(readFileSync(path, 'utf8'));
  const result = emptyResult(cfg, dir);
  // Wall time: each part of the run from its run-start to its last line.
  let partStart: number | undefined;
  let partEnd = 0;
  const closePart = () => {
    if (partStart !== undefined) result.wallSeconds += Math.max(0, partEnd - partStart) / 1000;
  };
  for (const line of lines) {
    if (line.type === 'run-start') {
      closePart();
      partStart = partEnd = line.t;
      continue;
    }
    if (Number.isFinite(line.t)) partEnd = Math.max(partEnd, line.t);
    if (isHistory(line)) recordEvent(result, line);
  }
  closePart();
  return result.perEpoch.length > 0 || result.stepLoss.length > 0 ? result : undefined;
}

/** The lines that make a run's history, shaped as the loop emits them (the file is not trusted to be). */
function isHistory(line: LogLine): line is LogLine & TrainEvent {
  const e = line as unknown as Record<string, unknown>;
  switch (line.type) {
    case 'step':
      return Number.isInteger(e.step) && Number.isInteger(e.epoch) && typeof (e.loss as Record<string, unknown>)?.total === 'number';
    case 'epoch-end':
      return Number.isInteger(e.epoch) && isObject(e.metrics) && isObject(e.loss);
    case 'warning':
      return Number.isInteger(e.epoch) && typeof e.message === 'string';
    default:
      return false;
  }
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
