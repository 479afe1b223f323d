import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { EVENTS_FILE, parseLogLines, type LogLine } from '../events-file.js';
import type { BenchResult, RunResult } from '../results.js';
import { findLast } from './find-last.js';
import { logHead, readBytes } from './log-file.js';

/** How a run stands, as the live view shows it. */
export type LiveStatus = 'running' | 'done' | 'failed' | 'interrupted';

/** One run found under the runs folder: what the page's table and header show. */
export interface RunInfo {
  /** The run's folder relative to the runs folder, with `/`: how the page names it. */
  id: string;
  name: string;
  seed: number;
  /** The folder of its bench, relative to the runs folder ('' when it is the runs folder). */
  bench: string;
  status: LiveStatus;
  error?: string;
  objectives: string[];
  backbone: string;
  dataset: string;
  backend: string;
  epochs: number;
  epochsDone: number;
  /** Steps done, and in all, as far as the events say. */
  step: number;
  steps?: number;
  /** The final metrics once the run is over (results.json's), the latest evaluation's before. */
  metrics: Record<string, number>;
  mainReadout?: string;
  imagesPerSec: number;
  wallSeconds: number;
  warnings: number;
  /** When its events or results last changed (ms since the epoch). */
  updated: number;
  config: unknown;
}

/** Everything known about one run folder: its events and its results.json record. */
export interface RunFolder {
  id: string;
  /** Absolute path. */
  dir: string;
  lines: LogLine[];
  result?: RunResult;
  updated: number;
}

/** Folders never holding runs; a run's checkpoints are not runs. */
const SKIP = new Set(['checkpoints', 'node_modules']);
/** runs/<group>/<bench>/<run> is as deep as a bench's output goes. */
const MAX_DEPTH = 4;

/**
 * The runs under a folder: every folder with an events.jsonl, and every run a
 * results.json lists (benches from before the event log, or copied from elsewhere).
 * Parsed files are cached by size and modification time, and a growing log is read
 * from where the last read stopped, so polling a long run stays cheap.
 */
export class RunsFolder {
  private readonly logs = new Map<string, { head?: string; size: number; mtime: number; bytes: number; lines: LogLine[] }>();
  private readonly results = new Map<string, { mtime: number; bench?: BenchResult }>();
  private realRoot: string | undefined;

  constructor(readonly root: string) {}

  /** Every run, sorted by id. */
  async runs(): Promise<RunFolder[]> {
    const found = new Map<string, RunFolder>();
    const visit = async (dir: string, depth: number): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // gone meanwhile, or unreadable: not a run
      }
      const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
      if (names.has(EVENTS_FILE)) this.folder(found, dir);
      if (names.has('results.json')) {
        const { bench, mtime } = await this.readResults(join(dir, 'results.json'));
        for (const r of (bench?.runs ?? []).filter((r) => typeof r?.dir === 'string')) {
          // A run's own results.json lists that run alone, under its own folder's name.
          const runDir = bench!.runs.length === 1 && r.dir === basename(dir) ? dir : join(dir, r.dir);
          if (!this.inside(runDir)) continue;
          const f = this.folder(found, runDir);
          if (runDir === dir || !f.result) f.result = r;
          f.updated = Math.max(f.updated, mtime);
        }
      }
      if (depth >= MAX_DEPTH) return;
      // Symbolic links are not followed: nothing outside the runs folder is read.
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name)) await visit(join(dir, e.name), depth + 1);
    };
    await visit(this.root, 0);
    for (const f of found.values()) {
      const log = await this.readLog(join(f.dir, EVENTS_FILE));
      f.lines = log.lines;
      f.updated = Math.max(log.mtime, f.updated);
    }
    return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The run with this id, or undefined: ids come from the folder, never from joining a request's path. */
  async run(id: string): Promise<RunFolder | undefined> {
    return (await this.runs()).find((r) => r.id === id);
  }

  /**
   * The absolute path of `name` in a run's folder when it is a file that really lies
   * inside the runs folder (after resolving links); undefined otherwise.
   */
  async file(run: RunFolder, name: string): Promise<string | undefined> {
    try {
      const real = await realpath(join(run.dir, name));
      this.realRoot ??= await realpath(this.root);
      if (!real.startsWith(this.realRoot + sep) || !(await stat(real)).isFile()) return undefined;
      return real;
    } catch {
      return undefined;
    }
  }

  private folder(found: Map<string, RunFolder>, dir: string): RunFolder {
    const id = relative(this.root, dir).split(sep).join('/') || '.';
    let f = found.get(id);
    if (!f) found.set(id, (f = { id, dir, lines: [], updated: 0 }));
    return f;
  }

  /** A results.json naming a run folder `../x` must not lead out of the runs folder. */
  private inside(dir: string): boolean {
    const rel = relative(this.root, dir);
    return !rel.startsWith('..') && !isAbsolute(rel);
  }

  private async readResults(path: string): Promise<{ bench?: BenchResult; mtime: number }> {
    try {
      const mtime = (await stat(path)).mtimeMs;
      const cached = this.results.get(path);
      if (cached?.mtime === mtime) return cached;
      let bench: BenchResult | undefined;
      try {
        const parsed = JSON.parse(await readFile(path, 'utf8')) as BenchResult;
        bench = Array.isArray(parsed?.runs) ? parsed : undefined;
      } catch {
        bench = undefined; // half written (results.json is rewritten after every run): next poll
      }
      this.results.set(path, { mtime, bench });
      return { bench, mtime };
    } catch {
      return { mtime: 0 };
    }
  }

  private async readLog(path: string): Promise<{ lines: LogLine[]; mtime: number }> {
    let size: number;
    let mtime: number;
    let head: string | undefined;
    try {
      ({ size, mtimeMs: mtime } = await stat(path));
      head = await logHead(path, size);
    } catch {
      this.logs.delete(path);
      return { lines: [], mtime: 0 };
    }
    // The file read last time, unless a new run replaced it.
    const cached = this.logs.get(path);
    const same = cached && cached.head === head && size >= cached.bytes ? cached : undefined;
    if (same && same.size === size && same.mtime === mtime) return same;
    // Appended to since the last read: read on from there; another file: read it all.
    const from = same ?? { bytes: 0, lines: [] };
    const { lines, bytes } = parseLogLines((await readBytes(path, from.bytes, size)).toString('utf8'));
    const next = { head, size, mtime, bytes: from.bytes + bytes, lines: [...from.lines, ...lines] };
    this.logs.set(path, next);
    return next;
  }
}

/** Whether the process that wrote a log is still alive (only knowable on its own machine). */
function writerAlive(lines: LogLine[]): boolean {
  const start = findLast(lines, 'run-start');
  if (!start) return false;
  if (start.writer.host !== hostname()) return true;
  try {
    process.kill(start.writer.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run's status from its log's last part (the lines since its last `run-start`):
 * its `run-end` line; else running while its process lives; else `complete` says how
 * training ended, and a log that just stops belongs to a process that died
 * (interrupted). A run without a log has its results.json's status.
 */
export function liveStatus(lines: LogLine[], result?: RunResult, alive = writerAlive(lines)): { status: LiveStatus; error?: string } {
  const fromResult = (r: RunResult) => ({ status: r.status === 'ok' ? ('done' as const) : r.status, error: r.error });
  if (lines.length === 0) return result ? fromResult(result) : { status: 'interrupted' };
  const part = lastPart(lines);
  const end = findLast(part, 'run-end');
  if (end) return { status: end.status === 'ok' ? 'done' : end.status, error: end.error };
  if (alive) return { status: 'running' };
  const complete = findLast(part, 'complete');
  if (complete) return { status: complete.summary.end.kind === 'interrupted' ? 'interrupted' : 'done' };
  return { status: 'interrupted' };
}

/** The lines of the latest start of a run (a resumed run's log holds several). */
function lastPart(lines: LogLine[]): LogLine[] {
  const start = findLast(lines, 'run-start');
  return start ? lines.slice(lines.lastIndexOf(start)) : lines;
}

/** What the table shows for a run: its log for what is in progress, its results.json for what is final. */
export function runInfo(f: RunFolder, root: string, alive?: boolean): RunInfo {
  const { status, error } = liveStatus(f.lines, f.result, alive);
  const start = findLast(f.lines, 'run-start');
  // Once over, the config as written (results.json's; the log's names this machine's checkpoint folder).
  const config = (status !== 'running' ? f.result?.config : undefined) ?? start?.config ?? f.result?.config;
  const lastStep = findLast(f.lines, 'step');
  const epochEnds = f.lines.filter((l) => l.type === 'epoch-end');
  const evaluated = findLast(f.lines, 'epoch-end', (e) => Object.keys(e.metrics).length > 0);
  const summary = findLast(lastPart(f.lines), 'complete')?.summary;
  // Once over, results.json holds the final numbers; the log holds what came before.
  const final = status !== 'running' && f.result ? f.result : undefined;
  const r = f.result;
  const elapsed = start ? (f.lines.at(-1)!.t - start.t) / 1000 : 0;
  const benchDir = relative(root, f.dir === root ? root : join(f.dir, '..')).split(sep).join('/');
  return {
    id: f.id,
    name: config?.name ?? r?.name ?? basename(f.dir),
    seed: config?.seed ?? r?.seed ?? 0,
    bench: benchDir,
    status,
    ...(error ? { error } : {}),
    // A results.json from elsewhere (or older) may lack parts of its config.
    objectives: config?.objective?.map((o) => o.id) ?? r?.objectives ?? [],
    backbone: config?.backbone?.id ?? r?.backbone ?? '',
    dataset: config?.data?.id ?? r?.dataset ?? '',
    backend: start?.backend ?? r?.backend ?? '',
    epochs: config?.train?.epochs ?? r?.epochs ?? 0,
    epochsDone: final?.epochsDone ?? summary?.epochsDone ?? epochEnds.length,
    step: summary?.steps ?? (lastStep ? lastStep.step : (r?.stepLoss.at(-1)?.step ?? -1)) + 1,
    ...(lastStep && config?.train ? { steps: lastStep.stepsPerEpoch * config.train.epochs } : {}),
    metrics: final?.metrics ?? summary?.metrics ?? evaluated?.metrics ?? {},
    mainReadout: final?.mainReadout ?? summary?.mainReadout ?? findLast(f.lines, 'evaluation')?.readout,
    imagesPerSec: final?.imagesPerSec ?? summary?.imagesPerSec ?? lastStep?.imagesPerSec ?? 0,
    wallSeconds: final?.wallSeconds ?? summary?.wallSeconds ?? elapsed,
    warnings: final?.warnings.length ?? f.lines.filter((l) => l.type === 'warning').length,
    updated: f.updated,
    config: config ?? null,
  };
}
