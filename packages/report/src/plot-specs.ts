// The vega-lite specs of the reports and the live view. Plain objects, no vega at
// run time, so a page that trains in the browser draws the same charts.
import type { TopLevelSpec } from 'vega-lite';

/** One epoch of a run as its charts read it (results.json's perEpoch has these fields and more). */
export interface EpochPoint {
  /** Counted from 0; the charts show it from 1. */
  epoch: number;
  /** Mean of each loss part over the epoch. */
  loss: Record<string, number>;
  /** The evaluated metrics; empty when the epoch was not evaluated. */
  metrics: Record<string, number>;
}

/** One run as its charts read it (a results.json run has these fields and more). */
export interface RunSeries {
  name: string;
  seed: number;
  perEpoch: EpochPoint[];
  /** Total loss at each logged step. */
  stepLoss: { step: number; total: number }[];
  mainReadout?: string;
}

/** A finished run's final metrics, for the bench overview. */
export interface RunOutcome {
  name: string;
  seed: number;
  /** Only 'ok' runs are drawn. */
  status: string;
  metrics: Record<string, number>;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** One value of one loss part at one logged step. */
export interface StepLossRow {
  step: number;
  part: string;
  value: number;
}

/** Total loss per logged step, and the mean of each loss part per epoch. */
export function lossSpec(r: Pick<RunSeries, 'name' | 'seed' | 'stepLoss' | 'perEpoch'>): TopLevelSpec {
  const steps = r.stepLoss.map((s) => ({ step: s.step, part: 'total', value: s.total }));
  return lossPartsSpec(`${r.name} (seed ${r.seed}): loss`, steps, r.perEpoch);
}

/**
 * Loss per logged step (every part given, one line each) beside the mean of each part
 * per epoch. The step panel's data is named `steps`, so a live view can read it back.
 */
export function lossPartsSpec(title: string, steps: StepLossRow[], perEpoch: Pick<EpochPoint, 'epoch' | 'loss'>[]): TopLevelSpec {
  const epochRows = perEpoch.flatMap((e) => Object.entries(e.loss).map(([part, value]) => ({ epoch: e.epoch + 1, part, value })));
  const manyParts = new Set(steps.map((s) => s.part)).size > 1;
  const stepCount = new Set(steps.map((s) => s.step)).size;
  return {
    $schema: SCHEMA,
    title,
    hconcat: [
      {
        title: manyParts ? 'loss parts per step' : 'total loss per step',
        width: 360,
        height: 220,
        data: { name: 'steps', values: steps },
        mark: { type: 'line', point: stepCount < 30 },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative', title: 'loss', scale: { zero: false } },
          ...(manyParts ? { color: { field: 'part', type: 'nominal' as const } } : {}),
        },
      },
      {
        title: 'loss parts, mean per epoch',
        width: 360,
        height: 220,
        data: { values: epochRows },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
          y: { field: 'value', type: 'quantitative', title: 'loss', scale: { zero: false } },
          color: { field: 'part', type: 'nominal' },
        },
      },
    ],
  };
}

/** Every metric of the main read-out at each evaluated epoch. */
export function metricsSpec(r: Pick<RunSeries, 'name' | 'seed' | 'perEpoch' | 'mainReadout'>): TopLevelSpec {
  const values = r.perEpoch.flatMap((e) =>
    Object.entries(e.metrics)
      .filter(([k]) => !k.includes('/'))
      .map(([metric, value]) => ({ epoch: e.epoch + 1, metric, value })),
  );
  return {
    $schema: SCHEMA,
    title: `${r.name} (seed ${r.seed}): metrics per epoch (${r.mainReadout ?? 'main read-out'})`,
    width: 420,
    height: 240,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] } },
      color: { field: 'metric', type: 'nominal' },
    },
  };
}

/** Heatmap of class (rows) against cluster (columns), counts written in the cells when they fit. */
export function confusionSpec(title: string, cm: { classes: number[]; clusters: number[]; counts: number[][] }, clusterOrder?: number[]): TopLevelSpec {
  const values = cm.counts.flatMap((row, i) => row.map((count, j) => ({ label: cm.classes[i], cluster: cm.clusters[j], count })));
  const cell = Math.max(8, Math.min(32, Math.floor(480 / Math.max(1, cm.clusters.length))));
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: { step: cell },
    height: { step: cell },
    encoding: {
      // Columns in the order given (clusters next to their matched class: the diagonal shows the match).
      x: { field: 'cluster', type: 'ordinal', sort: clusterOrder ?? 'ascending' },
      y: { field: 'label', type: 'ordinal', title: 'class' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' } } } },
      ...(cell >= 24 ? [{ mark: { type: 'text' as const, fontSize: 8 }, encoding: { text: { field: 'count', type: 'quantitative' as const } } }] : []),
    ],
  };
}

/** Bench overview: the final metrics of every ok run, one bar per run and seed. */
export function benchMetricsSpec(runs: RunOutcome[]): TopLevelSpec {
  const values = runs
    .filter((r) => r.status === 'ok')
    .flatMap((r) => ['acc', 'nmi', 'ari'].filter((m) => m in r.metrics).map((metric) => ({ run: r.name, seed: r.seed, metric, value: r.metrics[metric] })));
  return {
    $schema: SCHEMA,
    title: 'final metrics per run (points: seeds, bars: mean)',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal' } },
    spec: {
      width: 200,
      height: 220,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'run', type: 'nominal' },
            y: { aggregate: 'mean', field: 'value', type: 'quantitative', scale: { domain: [0, 1] } },
            color: { field: 'run', type: 'nominal', legend: null },
          },
        },
        {
          mark: { type: 'point', filled: true, color: 'black' },
          encoding: { x: { field: 'run', type: 'nominal' }, y: { field: 'value', type: 'quantitative' } },
        },
      ],
    },
  };
}

/** Each cluster's size at the end of each epoch, stacked; a red mark over the epochs with a collapse warning. */
export function clusterSizesSpec(
  title: string,
  sizes: { epoch: number; cluster: number; size: number }[],
  warnings: { epoch: number; message: string }[],
): TopLevelSpec {
  const x = { field: 'epoch', type: 'ordinal' as const, title: 'epoch' };
  const clusters = new Set(sizes.map((s) => s.cluster)).size;
  return {
    $schema: SCHEMA,
    title,
    width: { step: 28 },
    height: 220,
    layer: [
      {
        data: { values: sizes.map((s) => ({ ...s, epoch: s.epoch + 1 })) },
        mark: 'bar',
        encoding: {
          x,
          y: { field: 'size', type: 'quantitative', aggregate: 'sum', title: 'samples' },
          // Past 20 clusters a legend says nothing; the tooltip names the cluster.
          color: { field: 'cluster', type: 'nominal', ...(clusters > 20 ? { legend: null } : {}) },
          tooltip: [{ field: 'epoch' }, { field: 'cluster' }, { field: 'size', type: 'quantitative', aggregate: 'sum', title: 'size' }],
        },
      },
      {
        data: { values: warnings.map((w) => ({ ...w, epoch: w.epoch + 1 })) },
        mark: { type: 'text', text: '⚠', color: '#d62728', fontSize: 14, dy: -10 },
        encoding: { x, y: { value: 0 }, tooltip: { field: 'message' } },
      },
    ],
  };
}

/** Training throughput at each logged step. */
export function throughputSpec(title: string, steps: { step: number; imagesPerSec: number }[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 360,
    height: 160,
    data: { values: steps },
    mark: { type: 'line', point: steps.length < 30 },
    encoding: {
      x: { field: 'step', type: 'quantitative' },
      y: { field: 'imagesPerSec', type: 'quantitative', title: 'images/s' },
    },
  };
}
