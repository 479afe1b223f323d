import { clusterSizesSpec, confusionSpec, lossPartsSpec, MAX_STEPS, metricsSpec, thin, throughputSpec, type EpochPoint } from '@clusterflow/report';
import { fixed, metricSpans, warningItems, type Charts } from '@clusterflow/report/page';
import type { PageState } from './page-state.js';
import { drawGrid } from './samples.js';

const $ = (id: string) => document.getElementById(id)!;

/** Shows the run of `state` with the live view's charts (its vega-lite specs) and the page's own lines. */
export async function renderRun(state: PageState, charts: Charts): Promise<void> {
  const { run } = state;
  $('run').hidden = !run && !state.error;
  $('run-error').hidden = !state.error;
  $('run-error').textContent = state.error ?? '';
  if (!run) return;
  const title = run.config.name;
  $('backend-used').textContent = run.backendSummary;
  $('backend-used').dataset.backend = run.backend;
  $('run-config').textContent = JSON.stringify(run.config, null, 2);

  const last = state.steps.at(-1);
  const resumed = run.resumedFrom ? ` (continued from step ${run.resumedFrom.step})` : '';
  $('run-progress').textContent = last
    ? `epoch ${last.epoch + 1} of ${run.config.train.epochs}, step ${last.step + 1}${resumed}: ` +
      Object.entries(last.loss)
        .map(([k, v]) => `${k} ${fixed(v, 4)}`)
        .join(', ') +
      `; ${fixed(last.imagesPerSec, 0)} images/s`
    : `starting on ${run.backend}…`;
  const memory = last?.memory ?? state.steps.at(-2)?.memory;
  $('memory').textContent = memory ? `after the last step: ${memory.numTensors} tensors, ${(memory.numBytes / 2 ** 20).toFixed(1)} MiB (tf.memory())` : '';

  const e = state.evaluation;
  $('run-metrics').replaceChildren(...(e ? [`epoch ${e.epoch + 1} (${e.mainReadout}): `, ...metricSpans(e.metrics)] : ['not evaluated yet']));

  // The same charts as the live view, from the same specs.
  const perEpoch: EpochPoint[] = state.epochs.map((x) => ({ epoch: x.epoch, loss: x.loss, metrics: x.metrics }));
  const steps = thin(state.steps, MAX_STEPS);
  const rows = steps.flatMap((s) => Object.entries(s.loss).map(([part, value]) => ({ step: s.step, part, value })));
  await charts.draw('loss', $('chart-loss'), rows.length ? lossPartsSpec(`${title}: loss`, rows, perEpoch) : undefined);
  await charts.draw('throughput', $('chart-throughput'), steps.length ? throughputSpec(`${title}: images/s per step`, steps) : undefined);
  const evaluated = perEpoch.some((x) => Object.keys(x.metrics).length > 0);
  await charts.draw(
    'metrics',
    $('chart-metrics'),
    evaluated ? metricsSpec({ name: title, seed: run.config.seed, perEpoch, mainReadout: e?.mainReadout }) : undefined,
  );
  const readout = e?.mainReadout ?? Object.keys(state.epochs.at(-1)?.clusterSizes ?? {})[0];
  const sizes = readout ? state.epochs.flatMap((x) => (x.clusterSizes[readout] ?? []).map((size, cluster) => ({ epoch: x.epoch, cluster, size }))) : [];
  const marked = state.warnings.filter((w) => w.message.startsWith(`${readout}: `));
  await charts.draw('sizes', $('chart-sizes'), sizes.length ? clusterSizesSpec(`${title}: cluster sizes (${readout})`, sizes, marked) : undefined);
  await charts.draw(
    'confusion',
    $('chart-confusion'),
    e?.confusion ? confusionSpec(`${title}: classes x clusters (${e.mainReadout}, epoch ${e.epoch + 1})`, e.confusion, e.confusion.order) : undefined,
  );

  $('samples').hidden = !e;
  if (e) drawGrid($('samples-canvas') as HTMLCanvasElement, e.grid);
  $('run-warnings').replaceChildren(...warningItems(state.warnings));
}
