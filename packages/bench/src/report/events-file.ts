import type {
  CheckpointEvent,
  EpochEndEvent,
  RunStartEvent,
  RunSummary,
  StageEndEvent,
  StageStartEvent,
  StepEvent,
  TrainEvent,
  WarningEvent,
} from '@clusterflow/core';
import type { OrderedConfusion } from '@clusterflow/report';
import type { RunStatus } from './results.js';

/**
 * `<run folder>/events.jsonl`: everything a run emitted, one JSON object a line, each
 * starting with the time it was written (`t`, ms since the epoch). The live view reads it, so
 * it shows runs in progress, runs started by another process, and runs long done.
 * A resumed run appends to it: its lines start with another `run-start`.
 */
export const EVENTS_FILE = 'events.jsonl';

/** One line of the file. */
export type LogLine = LoggedEvent & { t: number };

export type LoggedEvent =
  | (RunStartEvent & { writer: Writer })
  | StageStartEvent
  | StageEndEvent
  | StepEvent
  | EpochEndEvent
  | CheckpointEvent
  | WarningEvent
  | { type: 'complete'; summary: LoggedSummary }
  | EvaluationLine
  | RunEndLine;

/** The process writing the file, so that a reader can tell a run in progress from one whose process died. */
export interface Writer {
  pid: number;
  host: string;
}

/** The summary without every sample's cluster id and label (those are in assignments.csv). */
export type LoggedSummary = Omit<RunSummary, 'readouts' | 'labels'>;

/** After each evaluation: the main read-out's confusion matrix (when the dataset has labels). */
export interface EvaluationLine {
  type: 'evaluation';
  epoch: number;
  step: number;
  readout: string;
  confusion?: OrderedConfusion;
}

/** The last line of a run: how it ended, written once its results and plots are on disk. */
export interface RunEndLine {
  type: 'run-end';
  status: RunStatus;
  error?: string;
}

/** A training event as it is logged: `complete` loses the per-sample arrays. */
export function loggedEvent(e: TrainEvent, writer: Writer): LoggedEvent {
  if (e.type === 'run-start') return { ...e, writer };
  if (e.type === 'complete') {
    const { readouts: _r, labels: _l, ...summary } = e.summary;
    return { type: 'complete', summary };
  }
  return e;
}

/**
 * The complete lines of `text` (a line still being written, without its newline,
 * is left for later) and how many bytes they take. A line that is not JSON (a
 * file damaged by a crash) is skipped rather than hiding the rest.
 */
export function parseLogLines(text: string): { lines: LogLine[]; bytes: number } {
  const end = text.lastIndexOf('\n') + 1;
  const lines: LogLine[] = [];
  for (const raw of text.slice(0, end).split('\n')) {
    if (!raw.trim()) continue;
    try {
      const line = JSON.parse(raw) as LogLine;
      if (line && typeof line.type === 'string') lines.push(line);
    } catch {
      // skipped: see above
    }
  }
  return { lines, bytes: Buffer.byteLength(text.slice(0, end)) };
}
