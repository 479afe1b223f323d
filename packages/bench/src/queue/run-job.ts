/**
 * The job processor: trains one queued run. BullMQ runs it in a child process of the
 * worker (a sandboxed processor) because a training step holds its process for as
 * long as it takes: in a child, that cannot delay the worker's lock renewals, so a
 * live run is never mistaken for a lost one; and several runs at once
 * (`--concurrency`) each get a process and a TF.js of their own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { SandboxedJob } from 'bullmq';
import type { TrainEvent } from '@clusterflow/core';
import type { RunResult } from '../report/results.js';
import { continueFrom, trainRun } from '../run/train-run.js';
import type { RunJobData, RunJobResult, RunProgress } from './jobs.js';
import { exitWhenParentGone } from './parent-watch.js';
import { packRunFolder } from './run-files.js';
import { clearRunRecord, readRunRecord, writeRunRecord } from './run-record.js';
import { readSettings } from './worker-settings.js';

// The worker that forked this process may be killed: its runs will be handed to
// other workers, so this one must stop at once rather than write beside them.
exitWhenParentGone();

export default async function runJob(job: SandboxedJob<RunJobData, RunJobResult>, _token?: string, signal?: AbortSignal): Promise<RunJobResult> {
  const settings = readSettings();
  const { bench, dir: runDir } = job.data;
  const config = settings.backend ? { ...job.data.config, backend: settings.backend } : job.data.config;
  const shared = settings.out ? join(settings.out, bench.id, runDir) : undefined;
  const dir = shared ?? (await mkdtemp(join(tmpdir(), 'clusterflow-run-')));
  const checkpoints = join(dir, 'checkpoints');
  const label = `${bench.name} ${runDir}`;
  const worker = settings.worker;
  const saved = shared ? await readRunRecord(checkpoints) : undefined;
  let before: RunResult | undefined;
  if (saved) {
    const { record } = saved;
    process.stdout.write(`[${label}] continuing from ${record.checkpoint} (epoch ${record.epoch}) written by ${record.worker}\n`);
    const takeover = { worker: worker.id, checkpoint: record.checkpoint, epoch: record.epoch, step: record.step };
    before = { ...record.result, takeovers: [...(record.result.takeovers ?? []), takeover] };
  }
  const progress = progressReporter(job, worker.id, saved?.record.epoch);
  const started = performance.now();
  let epochEnded: number | undefined;
  const onEvent = (e: TrainEvent, record: RunResult) => {
    progress(e);
    if (!shared) return;
    // The loop emits an epoch's record, then writes its checkpoint.
    if (e.type === 'epoch-end') epochEnded = e.epoch;
    // Right after an epoch's checkpoint: what the run recorded up to it, for whoever continues it.
    // Not after the last epoch: a run continued from there would have nothing left to evaluate.
    if (e.type === 'checkpoint' && epochEnded !== undefined && e.epoch === epochEnded + 1 && e.epoch < config.train.epochs) {
      const snapshot: RunResult = { ...structuredClone(record), wallSeconds: (performance.now() - started) / 1000 };
      if (before) continueFrom(before, snapshot);
      try {
        writeRunRecord(checkpoints, { checkpoint: basename(e.path), epoch: e.epoch, step: e.step, worker: worker.id, result: snapshot });
      } catch (err) {
        // The run itself is fine; only a worker that takes it over would have to start it again.
        process.stdout.write(`[${label}] record for a takeover not written: ${(err as Error).message}\n`);
      }
      epochEnded = undefined;
    }
  };
  try {
    const keep = shared !== undefined && config.train.checkpointDir !== undefined;
    const result = await trainRun(
      { config, dir: runDir, baseDir: settings.baseDir ?? job.data.baseDir },
      {
        dir,
        label,
        stream: process.stdout,
        logEvery: settings.logEvery,
        header: { name: bench.name, date: new Date().toISOString(), machine: worker.machine },
        // With a shared folder, a checkpoint every epoch (unless the config says how often) lets another worker continue the run.
        checkpointEvery: shared ? config.train.checkpointEvery || 1 : 0,
        keepCheckpoint: keep,
        resume: saved && { checkpoint: saved.path, before },
        signal,
        worker,
        onEvent,
      },
    );
    if (signal?.aborted) throw new Error(`run cancelled: ${String(signal.reason ?? 'aborted')}`);
    if (shared) {
      await clearRunRecord(checkpoints);
      if (!keep) await rm(checkpoints, { recursive: true, force: true });
    }
    return { result, files: await packRunFolder(dir) };
  } finally {
    if (!shared) await rm(dir, { recursive: true, force: true });
  }
}

/** Sends the run's progress through the queue: at its start, after each epoch and checkpoint, and at most once a second in between. */
function progressReporter(job: SandboxedJob<RunJobData, RunJobResult>, worker: string, resumedAt: number | undefined): (e: TrainEvent) => void {
  let state: RunProgress = { worker, epoch: resumedAt ?? 0, epochs: job.data.config.train.epochs, step: 0, ...(resumedAt !== undefined ? { resumedAt } : {}) };
  let sentAt = 0;
  const send = () => {
    sentAt = performance.now();
    // Progress is for people watching; a lost update is no reason to lose the run.
    job.updateProgress(state).catch(() => {});
  };
  return (e) => {
    switch (e.type) {
      case 'run-start':
        state = { ...state, backend: e.backend, step: e.resumedFrom?.step ?? 0 };
        return send();
      case 'step':
        state = { ...state, epoch: e.epoch, step: e.step + 1, steps: e.stepsPerEpoch * state.epochs, loss: e.loss.total, imagesPerSec: e.imagesPerSec };
        if (performance.now() - sentAt >= 1000) send();
        return;
      case 'epoch-end':
        state = { ...state, epoch: e.epoch + 1, ...(Object.keys(e.metrics).length > 0 ? { metrics: e.metrics } : {}) };
        return send();
    }
  };
}
