import { existsSync } from 'node:fs';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, peekCheckpointMeta } from '@clusterflow/core';
import { EVENTS_FILE } from '../report/events-file.js';
import type { Candidate, RunResult, Selection } from '../report/results.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { candidateSeed, type Candidates } from './candidates-config.js';
import { earlierRecord, recordFromEventLog } from './earlier-record.js';
import type { PlannedRun } from './planned-run.js';
import { checkpointsOf, usableCheckpoint } from './resume-check.js';
import { emptyResult } from './run-one.js';
import { trainRun, type TrainRunOptions } from './train-run.js';

export interface CandidateRunOptions extends Omit<TrainRunOptions, 'dir' | 'resume' | 'selection'> {
  /** The bench's folder: the run's is `<out>/<run.dir>`, its candidates' `<out>/<run.dir>/candidates/seed<k>`. */
  out: string;
  /** --resume: continue the candidates and the run from their checkpoints and the choice already made. */
  resume: boolean;
  /** --force: forget the candidates and the choice of an earlier bench, and start again. */
  force: boolean;
}

/** The file that records a run's choice, written once before the chosen seed goes on. */
export const SELECTION_FILE = 'selection.json';

/** A candidate's folder, relative to the bench's. */
export const candidateDir = (runDir: string, seed: number) => `${runDir}/candidates/seed${seed}`;

/** What of an earlier bench a run with candidates left in its folder: `--resume` or `--force` must say what to do with it. */
export function candidatesLeft(runFolder: string): string | undefined {
  if (existsSync(join(runFolder, SELECTION_FILE))) return 'chose its seed';
  if (existsSync(join(runFolder, 'candidates'))) return 'trained candidates';
  return undefined;
}

/**
 * Trains a run that chooses its seed: each candidate seed for `candidates.epochs`
 * epochs in its own folder, then the one with the lowest loss term goes on, from its
 * checkpoint, in the run's folder, to the run's end. The chosen seed's run is then
 * exactly the run it would have been alone (a resumed run continues bit for bit).
 * Every part resumes: a candidate from its checkpoints, the choice from its file, the
 * chosen run from its own checkpoints. Ctrl-C records the run as interrupted.
 */
export async function trainCandidates(run: PlannedRun, opts: CandidateRunOptions): Promise<RunResult> {
  const pick = run.candidates!;
  const runFolder = join(opts.out, run.dir);
  if (opts.force) {
    // An earlier bench's candidates, choice and checkpoints would otherwise be taken up again.
    for (const f of ['candidates', 'checkpoints', SELECTION_FILE]) await rm(join(runFolder, f), { recursive: true, force: true });
  }
  let selection = opts.resume ? await readSelection(runFolder, pick) : undefined;
  if (!selection) {
    const tried: Candidate[] = [];
    for (let k = 0; k < pick.count; k++) {
      const candidate = await trainCandidate(run, candidateSeed(run.config.seed, k), opts);
      if (candidate === 'interrupted') return { ...emptyResult(run.config, run.dir), status: 'interrupted' };
      tried.push(candidate);
    }
    const ok = tried.filter((c) => c.loss !== undefined);
    if (ok.length === 0) {
      const errors = tried.map((c) => `seed ${c.seed}: ${c.error}`).join('; ');
      return { ...emptyResult(run.config, run.dir), status: 'failed', error: `every candidate failed: ${errors}` };
    }
    // The lowest loss; a tie goes to the earlier candidate.
    const best = ok.reduce((a, b) => (b.loss! < a.loss! ? b : a));
    selection = { loss: pick.loss, epochs: pick.epochs, candidates: tried, chosen: best.seed };
    await writeFileAtomic(join(runFolder, SELECTION_FILE), JSON.stringify(selection, null, 2) + '\n');
    const line = tried.map((c) => `${c.seed}: ${c.loss?.toFixed(4) ?? 'failed'}`).join(', ');
    opts.stream.write(`[${opts.label}] ${pick.loss} loss at epoch ${pick.epochs}: ${line}; going on with seed ${best.seed}\n`);
  }
  const chosen: PlannedRun = { config: { ...run.config, seed: selection.chosen }, dir: run.dir, baseDir: run.baseDir };
  let own = await checkpointsOf(join(runFolder, 'checkpoints'));
  if (own.length === 0) {
    // The chosen seed goes on from where its candidate stopped, with its history.
    const from = join(opts.out, candidateDir(run.dir, selection.chosen));
    await copyFile(join(from, EVENTS_FILE), join(runFolder, EVENTS_FILE));
    own = await checkpointsOf(join(from, 'checkpoints'));
  }
  const checkpoint = await usableCheckpoint(own, chosen.config, `run ${run.dir} (seed ${selection.chosen})`);
  const before = earlierRecord(runFolder, chosen.config, run.dir, undefined);
  opts.stream.write(`[${opts.label}] seed ${selection.chosen} continues from ${checkpoint}\n`);
  return trainRun(chosen, { ...opts, dir: runFolder, resume: { checkpoint, before }, selection: { seed: run.config.seed, record: selection } });
}

/**
 * Trains one candidate to `epochs` epochs in its folder (or continues it there) and
 * reads its loss at that epoch from its event log; 'interrupted' on Ctrl-C.
 */
async function trainCandidate(run: PlannedRun, seed: number, opts: CandidateRunOptions): Promise<Candidate | 'interrupted'> {
  const pick = run.candidates!;
  const candidate: PlannedRun = { config: { ...run.config, seed }, dir: candidateDir(run.dir, seed), baseDir: run.baseDir };
  const folder = join(opts.out, candidate.dir);
  const own = await checkpointsOf(join(folder, 'checkpoints'));
  const checkpoint = own.length > 0 ? await usableCheckpoint(own, candidate.config, `candidate ${candidate.dir}`) : undefined;
  let error: string | undefined;
  if (checkpoint === undefined || (await epochsIn(checkpoint)) < pick.epochs) {
    const enough = new AbortController();
    const stop = opts.stop ? AbortSignal.any([opts.stop, enough.signal]) : enough.signal;
    const result = await trainRun(candidate, {
      ...opts,
      dir: folder,
      label: `${opts.label} candidate seed ${seed}`,
      resume: checkpoint ? { checkpoint, before: earlierRecord(folder, candidate.config, candidate.dir, undefined) } : undefined,
      stop,
      // Its end is an interruption: the checkpoint written then is where the chosen one goes on.
      onEvent: (e, r) => {
        if (e.type === 'epoch-end' && e.epoch === pick.epochs - 1) enough.abort(`candidate: ${pick.epochs} epochs trained`);
        opts.onEvent?.(e, r);
      },
    });
    if (opts.stop?.aborted) return 'interrupted';
    if (result.status === 'failed') error = result.error ?? 'failed';
  }
  const record = recordFromEventLog(join(folder, EVENTS_FILE), candidate.config, candidate.dir);
  const wallSeconds = record?.wallSeconds ?? 0;
  if (error !== undefined) return { seed, dir: candidate.dir, wallSeconds, error };
  const terms = record?.perEpoch.find((e) => e.epoch === pick.epochs - 1)?.loss;
  if (!terms) throw new Error(`candidate ${candidate.dir}: its event log has no record of epoch ${pick.epochs}`);
  const loss = terms[pick.loss];
  if (loss === undefined) {
    throw new ConfigError(`candidates.loss: run ${run.dir} records no loss term '${pick.loss}'; its terms are ${Object.keys(terms).join(', ')}`);
  }
  return { seed, dir: candidate.dir, loss, wallSeconds };
}

/** Epochs a checkpoint holds, counted in the first stage (a later stage's: all of them). */
async function epochsIn(checkpoint: string): Promise<number> {
  const meta = await peekCheckpointMeta(checkpoint);
  return (meta.stage ?? 0) > 0 ? Infinity : meta.epoch;
}

/** The choice an earlier part of the bench made, if it made one; the file is checked, not trusted. */
async function readSelection(runFolder: string, pick: Candidates): Promise<Selection | undefined> {
  const path = join(runFolder, SELECTION_FILE);
  if (!existsSync(path)) return undefined;
  let s: Selection;
  try {
    s = JSON.parse(await readFile(path, 'utf8')) as Selection;
  } catch (err) {
    throw new ConfigError(`--resume: ${path} cannot be read (${(err as Error).message}); --force starts the run and its candidates again`);
  }
  const seeds = Array.isArray(s?.candidates) ? s.candidates.map((c) => c?.seed) : [];
  if (!Number.isInteger(s?.chosen) || !seeds.includes(s.chosen) || s.loss !== pick.loss || s.epochs !== pick.epochs || seeds.length !== pick.count) {
    throw new ConfigError(
      `--resume: ${path} does not record a choice made by this config's candidates (count ${pick.count}, epochs ${pick.epochs}, loss ${pick.loss}); --force starts again`,
    );
  }
  return s;
}
