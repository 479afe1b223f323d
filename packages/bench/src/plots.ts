import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunResult } from './results.js';

/** Renders a Vega-Lite spec to SVG in Node: the 'none' renderer needs neither a browser nor canvas. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Total loss per logged step, and the mean of each loss part per epoch. */
export function lossSpec(r: RunResult): TopLevelSpec {
  const perEpoch = r.perEpoch.flatMap((e) => Object.entries(e.loss).map(([part, value]) => ({ epoch: e.epoch + 1, part, value })));
  return {
    $schema: SCHEMA,
    title: `${r.name} (seed ${r.seed}): loss`,
    hconcat: [
      {
        title: 'total loss per step',
        width: 360,
        height: 220,
        data: { values: r.stepLoss },
        mark: { type: 'line', point: r.stepLoss.length < 30 },
        encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'total', type: 'quantitative', title: 'loss', scale: { zero: false } } },
      },
      {
        title: 'loss parts, mean per epoch',
        width: 360,
        height: 220,
        data: { values: perEpoch },
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
export function metricsSpec(r: RunResult): TopLevelSpec {
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
      ...(cell >= 24
        ? [{ mark: { type: 'text' as const, fontSize: 8 }, encoding: { text: { field: 'count', type: 'quantitative' as const } } }]
        : []),
    ],
  };
}

/** Bench overview: the final metrics of every ok run, one bar per run and seed. */
export function benchMetricsSpec(runs: RunResult[]): TopLevelSpec {
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
        { mark: 'bar', encoding: { x: { field: 'run', type: 'nominal' }, y: { aggregate: 'mean', field: 'value', type: 'quantitative', scale: { domain: [0, 1] } }, color: { field: 'run', type: 'nominal', legend: null } } },
        { mark: { type: 'point', filled: true, color: 'black' }, encoding: { x: { field: 'run', type: 'nominal' }, y: { field: 'value', type: 'quantitative' } } },
      ],
    },
  };
}
