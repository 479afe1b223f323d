import type { LogLine } from '../report/events-file.js';
import { MAX_STEPS } from '@clusterflow/report';

type Line<T extends LogLine['type']> = Extract<LogLine, { type: T }>;

/** Beyond these, a log's epochs and warnings are counted but not kept: a log cannot make the server hold it whole. */
const MAX_EPOCHS = 10_000;
const MAX_WARNINGS = 1_000;
/** Steps kept for the curves before halving them (the page draws MAX_STEPS). */
const MAX_KEPT_STEPS = 4 * MAX_STEPS;

/**
 * What the live view needs of a run's log, gathered line by line as it is read, in
 * memory bounded whatever the log's length: the last of each kind of line the table
 * shows, every epoch, the warnings, and the steps thinned to a few thousand (every
 * `stride`-th, the stride doubling as the run goes on, and always the last).
 */
export class LogDigest {
  /** The latest run-start (a resumed run's log holds several). */
  start?: Line<'run-start'>;
  /** Since the latest run-start: how the run ended, and how training ended. */
  end?: Line<'run-end'>;
  complete?: Line<'complete'>;
  lastStep?: Line<'step'>;
  /** The latest epoch-end with metrics, and the latest evaluations. */
  evaluated?: Line<'epoch-end'>;
  evaluation?: Line<'evaluation'>;
  confusion?: Line<'evaluation'>;
  /** Epoch-end lines read (a resumed run logs some epochs twice). */
  epochEnds = 0;
  /** By epoch: a resumed run's later line wins. */
  readonly epochs = new Map<number, Line<'epoch-end'>>();
  readonly warnings: Line<'warning'>[] = [];
  warningCount = 0;
  lastT?: number;
  lines = 0;
  /** Lines that were not JSON, or too long to read. */
  skipped = 0;
  private readonly kept = new Map<number, Line<'step'>>();
  /** Every `stride`-th step line read is kept (counted as they come: steps need not be contiguous). */
  private stride = 1;
  private stepLines = 0;

  static of(lines: readonly LogLine[]): LogDigest {
    const d = new LogDigest();
    for (const l of lines) d.add(l);
    return d;
  }

  /** Reads one line of the log (its bytes); a line that is no log line is counted as skipped. */
  addBytes(bytes: Buffer): void {
    if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x0d)) return;
    let line: LogLine;
    try {
      line = JSON.parse(bytes.toString('utf8')) as LogLine;
    } catch {
      this.skipped++;
      return;
    }
    if (wellFormed(line)) this.add(line);
    else this.skipped++;
  }

  /** Takes a parsed line (see `wellFormed` for lines read from a file). */
  add(l: LogLine): void {
    this.lines++;
    if (typeof l.t === 'number') this.lastT = l.t;
    switch (l.type) {
      case 'run-start':
        this.start = l;
        this.end = undefined;
        this.complete = undefined;
        break;
      case 'run-end':
        this.end = l;
        break;
      case 'complete':
        this.complete = l;
        break;
      case 'step':
        if (typeof l.step !== 'number') break;
        this.lastStep = l;
        this.keepStep(l);
        break;
      case 'epoch-end':
        this.epochEnds++;
        if (l.metrics && Object.keys(l.metrics).length > 0) this.evaluated = l;
        if (this.epochs.has(l.epoch) || this.epochs.size < MAX_EPOCHS) this.epochs.set(l.epoch, l);
        break;
      case 'warning':
        this.warningCount++;
        if (this.warnings.length < MAX_WARNINGS) this.warnings.push(l);
        break;
      case 'evaluation':
        this.evaluation = l;
        if (l.confusion !== undefined) this.confusion = l;
        break;
    }
  }

  /** The steps kept, by step (the later of a step logged twice), in order. */
  steps(): Line<'step'>[] {
    const all = new Map(this.kept);
    if (this.lastStep) all.set(this.lastStep.step, this.lastStep);
    return [...all.values()].sort((a, b) => a.step - b.step);
  }

  private keepStep(l: Line<'step'>): void {
    if (this.stepLines++ % this.stride === 0 || this.kept.has(l.step)) this.kept.set(l.step, l);
    if (this.kept.size <= MAX_KEPT_STEPS) return;
    // Half of them go, every other one in step order, and half as many are kept from now on.
    this.stride *= 2;
    const order = [...this.kept.keys()].sort((a, b) => a - b);
    for (let i = 1; i < order.length; i += 2) this.kept.delete(order[i]);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Whether a parsed line has the fields the live view reads, of their types: a log
 * is a file anyone may have written, and a line that would break a view is
 * skipped rather than trusted.
 */
export function wellFormed(l: unknown): l is LogLine {
  if (!isObject(l) || typeof l.type !== 'string' || (l.t !== undefined && !isNumber(l.t))) return false;
  switch (l.type) {
    case 'run-start':
      return (
        isNumber(l.t) &&
        isObject(l.config) &&
        isObject(l.writer) &&
        typeof l.writer.host === 'string' &&
        isNumber(l.writer.pid) &&
        typeof l.backend === 'string'
      );
    case 'run-end':
      return ['ok', 'failed', 'interrupted'].includes(l.status as string) && (l.error === undefined || typeof l.error === 'string');
    case 'complete':
      return (
        isObject(l.summary) &&
        isObject(l.summary.end) &&
        typeof l.summary.end.kind === 'string' &&
        (l.summary.metrics === undefined || isObject(l.summary.metrics))
      );
    case 'step':
      return (
        isNumber(l.step) &&
        isNumber(l.epoch) &&
        isNumber(l.stepsPerEpoch) &&
        isNumber(l.imagesPerSec) &&
        isObject(l.loss) &&
        Object.values(l.loss).every(isNumber)
      );
    case 'epoch-end':
      return isNumber(l.epoch) && isObject(l.metrics) && isObject(l.loss) && isObject(l.clusterSizes) && Object.values(l.clusterSizes).every(Array.isArray);
    case 'warning':
      return isNumber(l.epoch) && typeof l.message === 'string';
    case 'evaluation':
      return isNumber(l.epoch) && typeof l.readout === 'string' && (l.confusion === undefined || isObject(l.confusion));
    default:
      return true;
  }
}
