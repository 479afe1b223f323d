import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import type { RunResult } from '../report/results.js';

/**
 * What a worker keeps beside a run's checkpoints in the shared folder, so that the
 * worker that takes the run over when this one is lost continues it, record included:
 * the checkpoint (a file name in the same folder, so the folder may be mounted
 * anywhere) and everything the run had recorded up to it.
 */
export interface RunRecord {
  checkpoint: string;
  epoch: number;
  step: number;
  /** The worker that wrote it. */
  worker: string;
  result: RunResult;
}

const RECORD_FILE = 'record.json';

/** Written right after the epoch's checkpoint, synchronously, before the run goes on. */
export function writeRunRecord(checkpoints: string, record: RunRecord): void {
  writeFileAtomicSync(join(checkpoints, RECORD_FILE), JSON.stringify(record));
}

/**
 * The record a lost worker left, with the path of its checkpoint; none when there is
 * no record or its checkpoint is gone. A checkpoint written after the last record
 * (the worker died between the two) is passed over: continuing from it would lose
 * the record of the epochs in between, so the run redoes them instead.
 */
export async function readRunRecord(checkpoints: string): Promise<{ path: string; record: RunRecord } | undefined> {
  const file = join(checkpoints, RECORD_FILE);
  if (!existsSync(file)) return undefined;
  const record = JSON.parse(await readFile(file, 'utf8')) as RunRecord;
  const path = join(checkpoints, record.checkpoint);
  return existsSync(path) ? { path, record } : undefined;
}

/** A finished run leaves no record: a later attempt of the same job starts afresh. */
export async function clearRunRecord(checkpoints: string): Promise<void> {
  await rm(join(checkpoints, RECORD_FILE), { force: true });
}
