import { existsSync, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { EVENTS_FILE, type LogLine } from '../report/events-file.js';
import type { BenchResult, RunResult } from '../report/results.js';
import { Confinement } from './confined.js';
import { CHUNK_BYTES, LineSplitter } from './line-splitter.js';
import { LogDigest } from './log-digest.js';
import { logHead } from './log-file.js';

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

/** Everything known about one run folder: what its events say, and its results.json record. */
export interface RunFolder {
  id: string;
  /** Absolute path. */
  dir: string;
  /** Its events.jsonl, as far as read. */
  log: LogDigest;
  result?: RunResult;
  updated: number;
  /** Listed by a results.json, but its folder is not there. */
  missing?: boolean;
}

/** Folders never holding runs; a run's checkpoints are not runs. */
const SKIP = new Set(['checkpoints', 'node_modules']);
/** runs/<group>/<bench>/<run> is as deep as a bench's output goes. */
const MAX_DEPTH = 4;
/** A results.json larger than this is no bench's: not read. */
const MAX_RESULTS_BYTES = 64 << 20;
/** How long one scan may spend reading logs; a longer log is read on by the scans after it. */
const READ_BUDGET_MS = 40;

/** A log as far as it has been read. */
interface LogState {
  head?: string;
  size: number;
  mtime: number;
  splitter: LineSplitter;
  digest: LogDigest;
}

/**
 * The runs under a folder: every folder with an events.jsonl, and every run a
 * results.json lists (benches from before the event log, or copied from elsewhere).
 * One scan serves every client: a scan in progress is shared, and a recent one
 * reused (`maxAgeMs`). Each log is read on from where the last read stopped, on
 * bytes, into a digest of bounded size, and for at most READ_BUDGET_MS per scan:
 * a huge log is read over several scans, while the server keeps answering.
 * Nothing is read whose real path (links resolved) lies outside the folder.
 */
export class RunsFolder {
  readonly confinement: Confinement;
  private readonly logs = new Map<string, LogState>();
  private readonly results = new Map<string, { mtime: number; size: number; bench?: BenchResult }>();
  private snapshot: RunFolder[] = [];
  private scannedAt = -Infinity;
  private scanning: Promise<RunFolder[]> | undefined;
  private behind = false;
  private closed = false;
  /** Scans made and log bytes read, in all: what the server costs, for its specs. */
  readonly stats = { scans: 0, bytesRead: 0 };

  constructor(readonly root: string) {
    this.confinement = new Confinement(root);
  }

  /**
   * Every run, sorted by id, from a scan at most `maxAgeMs` old; with a `maxAgeMs`,
   * a scan in progress is not waited for when there is an earlier one to answer from.
   */
  async runs(maxAgeMs = 0): Promise<RunFolder[]> {
    const scanned = this.scannedAt > -Infinity;
    if (this.scanning) return maxAgeMs > 0 && scanned ? this.snapshot : this.scanning;
    if (performance.now() - this.scannedAt <= maxAgeMs) return this.snapshot;
    this.scanning = this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** The run with this id, or undefined: ids come from the folder, never from joining a request's path. */
  async run(id: string, maxAgeMs = 0): Promise<RunFolder | undefined> {
    return (await this.runs(maxAgeMs)).find((r) => r.id === id);
  }

  /** Stops reading on in the background. */
  close(): void {
    this.closed = true;
  }

  /**
   * The real path of `name` in a run's folder when it is a file that really lies
   * inside the runs folder (after resolving links); undefined otherwise.
   */
  async file(run: RunFolder, name: string): Promise<string | undefined> {
    const f = await this.confinement.open(join(run.dir, name));
    if (!f) return undefined;
    await f.fh.close();
    return f.real;
  }

  private async scan(): Promise<RunFolder[]> {
    this.stats.scans++;
    const found = new Map<string, RunFolder>();
    const realRoot = await this.confinement.rootReal();
    const visit = async (dir: string, depth: number): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // gone meanwhile, or unreadable: not a run
      }
      // Dirents are not followed: a link (to a file or a folder) is neither a file nor a folder here.
      const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
      if (names.has(EVENTS_FILE)) this.folder(found, dir);
      if (names.has('results.json')) {
        const { bench, mtime } = await this.readResults(join(dir, 'results.json'));
        for (const r of (bench?.runs ?? []).filter((r) => typeof r?.dir === 'string')) {
          // A run's own results.json lists that run alone, under its own folder's path from
          // its bench's (`a-seed0`; a candidate seed's `a-seed0/candidates/seed6`).
          const own = bench!.runs.length === 1 && `${sep}${dir}`.endsWith(`${sep}${normalize(r.dir)}`);
          const runDir = own ? dir : join(dir, r.dir);
          if (!(await this.inside(runDir))) continue;
          const f = this.folder(found, runDir);
          if (runDir === dir || !f.result) f.result = r;
          f.missing = !existsSync(runDir);
          f.updated = Math.max(f.updated, mtime);
        }
      }
      if (depth >= MAX_DEPTH) return;
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name)) await visit(join(dir, e.name), depth + 1);
    };
    if (realRoot !== undefined) await visit(this.root, 0);
    const deadline = performance.now() + READ_BUDGET_MS;
    this.behind = false;
    const seen = new Set<string>();
    for (const f of found.values()) {
      const path = join(f.dir, EVENTS_FILE);
      seen.add(path);
      const log = await this.readLog(path, deadline);
      f.log = log?.digest ?? new LogDigest();
      f.updated = Math.max(log?.mtime ?? 0, f.updated);
    }
    // Forget the logs of runs gone from the folder.
    for (const path of this.logs.keys()) if (!seen.has(path)) this.logs.delete(path);
    this.snapshot = [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
    this.scannedAt = performance.now();
    // A log not read to its end: read on soon, between requests.
    if (this.behind && !this.closed) setTimeout(() => void this.runs().catch(() => {}), 10).unref();
    return this.snapshot;
  }

  private folder(found: Map<string, RunFolder>, dir: string): RunFolder {
    const id = relative(this.root, dir).split(sep).join('/') || '.';
    let f = found.get(id);
    if (!f) found.set(id, (f = { id, dir, log: new LogDigest(), updated: 0 }));
    return f;
  }

  /** A run folder a results.json names: there, and not `../x` or a link to a folder outside. */
  private async inside(dir: string): Promise<boolean> {
    const rel = relative(this.root, dir);
    if (rel.startsWith('..') || isAbsolute(rel)) return false;
    // Not there (a record copied without its runs, or a folder since deleted): its record alone is shown, marked as such.
    if (!existsSync(dir)) return true;
    return (await this.confinement.resolve(dir)) !== undefined;
  }

  private async readResults(path: string): Promise<{ bench?: BenchResult; mtime: number }> {
    const file = await this.confinement.open(path);
    if (!file) return { mtime: 0 };
    try {
      const { mtime, size } = file;
      const cached = this.results.get(path);
      if (cached?.mtime === mtime && cached.size === size) return cached;
      let bench: BenchResult | undefined;
      try {
        if (size > MAX_RESULTS_BYTES) throw new Error('too large');
        const parsed = JSON.parse((await file.fh.readFile()).toString('utf8')) as BenchResult;
        bench = Array.isArray(parsed?.runs) ? parsed : undefined;
      } catch {
        bench = undefined; // half written (results.json is rewritten after every run): next poll
      }
      this.results.set(path, { mtime, size, bench });
      return { bench, mtime };
    } catch {
      return { mtime: 0 };
    } finally {
      await file.fh.close();
    }
  }

  /** Reads on in a log from where the last read stopped, until `deadline` (at least one chunk). */
  private async readLog(path: string, deadline: number): Promise<{ digest: LogDigest; mtime: number } | undefined> {
    let cached = this.logs.get(path);
    // Unchanged since the last read (the common case, and the cheap one: no open).
    try {
      const st = await stat(path);
      if (cached && st.size === cached.size && st.mtimeMs === cached.mtime && cached.splitter.position >= cached.size)
        return { digest: cached.digest, mtime: cached.mtime };
    } catch {
      this.logs.delete(path);
      return undefined;
    }
    const file = await this.confinement.open(path);
    if (!file) {
      this.logs.delete(path);
      return undefined;
    }
    try {
      const { size, mtime } = file;
      const head = await logHead(file.fh, size);
      // The file read last time, unless a new run replaced it: it starts differently, or is shorter.
      if (!cached || (cached.head !== undefined && head !== cached.head) || size < cached.splitter.position) {
        cached = { head, size, mtime, splitter: new LineSplitter(), digest: new LogDigest() };
        this.logs.set(path, cached);
      }
      Object.assign(cached, { head, size, mtime });
      const { splitter, digest } = cached;
      const sink = { line: (bytes: Buffer) => digest.addBytes(bytes), skipped: () => void digest.skipped++ };
      const buf = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(1, size - splitter.position)));
      do {
        const { bytesRead } = await file.fh.read(buf, 0, Math.min(buf.length, size - splitter.position), splitter.position);
        if (bytesRead === 0) break;
        this.stats.bytesRead += bytesRead;
        splitter.push(buf.subarray(0, bytesRead), sink);
      } while (splitter.position < size && performance.now() < deadline);
      if (splitter.position < size) this.behind = true;
      return { digest, mtime };
    } catch {
      return cached && { digest: cached.digest, mtime: cached.mtime };
    } finally {
      await file.fh.close();
    }
  }
}

/** Whether the process that wrote a log is still alive (only knowable on its own machine). */
function writerAlive(log: LogDigest): boolean {
  const writer = log.start?.writer;
  if (!writer) return false;
  if (writer.host !== hostname()) return true;
  // The pid comes from a file: only a real process id is asked about (0 and -1 name groups).
  if (!Number.isSafeInteger(writer.pid) || writer.pid <= 0) return false;
  try {
    process.kill(writer.pid, 0);
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
export function liveStatus(log: LogDigest | readonly LogLine[], result?: RunResult, alive?: boolean): { status: LiveStatus; error?: string } {
  const d = log instanceof LogDigest ? log : LogDigest.of(log);
  const fromResult = (r: RunResult) => ({ status: r.status === 'ok' ? ('done' as const) : r.status, error: r.error });
  if (d.lines === 0) return result ? fromResult(result) : { status: 'interrupted' };
  if (d.end) return { status: d.end.status === 'ok' ? 'done' : d.end.status, error: d.end.error };
  if (alive ?? writerAlive(d)) return { status: 'running' };
  if (d.complete) return { status: d.complete.summary.end.kind === 'interrupted' ? 'interrupted' : 'done' };
  return { status: 'interrupted' };
}

/** What the table shows for a run: its log for what is in progress, its results.json for what is final. */
export function runInfo(f: RunFolder, root: string, alive?: boolean): RunInfo {
  const log = f.log;
  const { status, error: runError } = liveStatus(log, f.result, alive);
  // A record whose folder is gone: its numbers stand, but nothing backs them here.
  const error = f.missing ? `${runError ? `${runError}; ` : ''}its folder ${f.id} is not there: only its results.json record is shown` : runError;
  const start = log.start;
  // Once over, the config as written (results.json's; the log's names this machine's checkpoint folder).
  const config = (status !== 'running' ? f.result?.config : undefined) ?? start?.config ?? f.result?.config;
  const lastStep = log.lastStep;
  const summary = log.complete?.summary;
  // Once over, results.json holds the final numbers; the log holds what came before.
  const final = status !== 'running' && f.result ? f.result : undefined;
  const r = f.result;
  const elapsed = start && log.lastT !== undefined ? (log.lastT - start.t) / 1000 : 0;
  const benchDir = relative(root, f.dir === root ? root : join(f.dir, '..'))
    .split(sep)
    .join('/');
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
    epochsDone: final?.epochsDone ?? summary?.epochsDone ?? log.epochEnds,
    step: summary?.steps ?? (lastStep ? lastStep.step : (r?.stepLoss?.at(-1)?.step ?? -1)) + 1,
    ...(lastStep && config?.train ? { steps: lastStep.stepsPerEpoch * config.train.epochs } : {}),
    metrics: final?.metrics ?? summary?.metrics ?? log.evaluated?.metrics ?? {},
    mainReadout: final?.mainReadout ?? summary?.mainReadout ?? log.evaluation?.readout,
    imagesPerSec: final?.imagesPerSec ?? summary?.imagesPerSec ?? lastStep?.imagesPerSec ?? 0,
    wallSeconds: final?.wallSeconds ?? summary?.wallSeconds ?? elapsed,
    warnings: final?.warnings?.length ?? log.warningCount,
    updated: f.updated,
    config: config ?? null,
  };
}
