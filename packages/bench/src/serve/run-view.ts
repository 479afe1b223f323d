import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TopLevelSpec } from 'vega-lite';
import { parseAssignmentsCsv } from '../report/assignments.js';
import type { LogLine } from '../report/events-file.js';
import {
  clusterSizesSpec,
  confusionSpec,
  lossPartsSpec,
  MAX_STEPS,
  metricsSpec,
  orderedConfusion,
  thin,
  throughputSpec,
  type OrderedConfusion,
  type StepLossRow,
} from '@clusterflow/report';
import type { EpochRecord, RunResult } from '../report/results.js';
import { LogDigest } from './log-digest.js';
import type { RunFolder, RunInfo, RunsFolder } from './runs-folder.js';

/** What the page shows for one run: its row, its charts as vega-lite specs, its warnings and pictures. */
export interface RunView {
  info: RunInfo;
  charts: {
    /** Every loss part per logged step, and per epoch. */
    loss?: TopLevelSpec;
    /** ACC / NMI / ARI (every metric of the main read-out) per evaluation. */
    metrics?: TopLevelSpec;
    /** Cluster sizes per epoch, one chart per read-out or head, collapse warnings marked. */
    sizes: Record<string, TopLevelSpec>;
    throughput?: TopLevelSpec;
    confusion?: TopLevelSpec;
  };
  warnings: { epoch: number; message: string }[];
  /** The picture of each cluster's samples, with a version that changes when it is rewritten. */
  samples?: { version: number };
}

/**
 * Builds the page's view of a run from its events (every logged step, epoch,
 * warning and evaluation), with the same vega-lite specs as the run's reports. A
 * run from before the event log is drawn from its results.json and assignments.
 */
export async function runView(folder: RunFolder, info: RunInfo, runs: RunsFolder): Promise<RunView> {
  const log = folder.log.lines > 0 ? folder.log : folder.result ? LogDigest.of(linesFromResult(folder.result)) : new LogDigest();
  const title = `${info.name} (seed ${info.seed})`;

  // A resumed run logs its steps again from the checkpoint on: the later value wins.
  const epochs = log.epochs;
  const warnings: RunView['warnings'] = log.warnings.map((w) => ({ epoch: w.epoch, message: w.message }));
  const stepList = thin(log.steps(), MAX_STEPS);
  const perEpoch: EpochRecord[] = [...epochs.values()]
    .sort((a, b) => a.epoch - b.epoch)
    .map((e) => ({ epoch: e.epoch, loss: e.loss, metrics: e.metrics, seconds: e.seconds, imagesPerSec: e.imagesPerSec }));

  const charts: RunView['charts'] = { sizes: {} };
  if (stepList.length > 0) {
    const rows: StepLossRow[] = stepList.flatMap((s) => Object.entries(s.loss).map(([part, value]) => ({ step: s.step, part, value })));
    charts.loss = lossPartsSpec(`${title}: loss`, rows, perEpoch);
  }
  // results.json keeps no per-step throughput: runs drawn from it have none.
  if (stepList.some((s) => s.imagesPerSec > 0)) {
    charts.throughput = throughputSpec(
      `${title}: images/s per step`,
      stepList.map((s) => ({ step: s.step, imagesPerSec: s.imagesPerSec })),
    );
  }
  if (perEpoch.some((e) => Object.keys(e.metrics).length > 0)) {
    charts.metrics = metricsSpec({ name: info.name, seed: info.seed, perEpoch, mainReadout: info.mainReadout });
  }
  for (const readout of new Set(perEpoch.flatMap((e) => Object.keys(epochs.get(e.epoch)!.clusterSizes)))) {
    const sizes = [...epochs.values()].flatMap((e) => (e.clusterSizes[readout] ?? []).map((size, cluster) => ({ epoch: e.epoch, cluster, size })));
    // The collapse warning names the read-out it is about: `<read-out>: ...`.
    const marked = warnings.filter((w) => w.message.startsWith(`${readout}: `));
    charts.sizes[readout] = clusterSizesSpec(`${title}: cluster sizes (${readout})`, sizes, marked);
  }
  const evaluation = log.confusion;
  const confusion = evaluation?.confusion ?? (await confusionFromAssignments(folder, runs));
  if (confusion) {
    const when = evaluation ? `, epoch ${evaluation.epoch + 1}` : '';
    charts.confusion = confusionSpec(
      `${title}: classes x clusters (${evaluation?.readout ?? info.mainReadout ?? 'main read-out'}${when})`,
      confusion,
      confusion.order,
    );
  }
  const samples = await runs.file(folder, 'samples.png');
  return { info, charts, warnings, ...(samples ? { samples: { version: Math.round((await stat(samples)).mtimeMs) } } : {}) };
}

/** An assignments file larger than this (packed or not) is no run's: not drawn. */
const MAX_ASSIGNMENTS_BYTES = 256 << 20;

/** The final confusion matrix from assignments.csv (or .csv.gz, as committed results keep it). */
async function confusionFromAssignments(folder: RunFolder, runs: RunsFolder): Promise<OrderedConfusion | undefined> {
  for (const name of ['assignments.csv', 'assignments.csv.gz']) {
    const file = await runs.confinement.open(join(folder.dir, name));
    if (!file) continue;
    let raw: Buffer;
    try {
      if (file.size > MAX_ASSIGNMENTS_BYTES) return undefined;
      raw = await file.fh.readFile();
    } finally {
      await file.fh.close();
    }
    // Bounded unpacking: a small .gz can expand to gigabytes.
    const text = (name.endsWith('.gz') ? gunzipSync(raw, { maxOutputLength: MAX_ASSIGNMENTS_BYTES }) : raw).toString('utf8');
    const a = parseAssignmentsCsv(text);
    if (a.label.some((l) => l < 0)) return undefined; // no labels: nothing to confuse
    return orderedConfusion(a.label, a.cluster);
  }
  return undefined;
}

/**
 * The events a results.json implies, for runs without a log: total loss per logged
 * step, each epoch's record, the warnings and the final cluster sizes at the last epoch.
 */
export function linesFromResult(r: RunResult): LogLine[] {
  const t = 0;
  const last = r.perEpoch.at(-1)?.epoch;
  return [
    ...r.stepLoss.map((s): LogLine => ({
      t,
      type: 'step',
      epoch: s.epoch,
      step: s.step,
      stepInEpoch: 0,
      stepsPerEpoch: 0,
      loss: { total: s.total },
      lr: 0,
      imagesPerSec: 0,
    })),
    ...r.perEpoch.map((e): LogLine => ({ t, type: 'epoch-end', ...e, clusterSizes: e.epoch === last ? r.clusterSizes : {} })),
    ...r.warnings.flatMap((w): LogLine[] => {
      // Recorded as `epoch <n>: <message>` (1-based); other notes (a plot not written) are no collapse warnings.
      const m = /^epoch (\d+): (.*)$/s.exec(w);
      return m ? [{ t, type: 'warning', epoch: Number(m[1]) - 1, message: m[2] }] : [];
    }),
  ];
}
