// The selected run: its header lines, its charts (the server's vega-lite specs),
// its samples and its warnings.
import { fixed, METRICS, metricSpans, warningItems, type Charts } from '@clusterflow/report/page';
import { runFileUrl, type LogLine, type RunAnswer, type RunView } from './api.js';
import { $, statusBadge } from './dom.js';

/** The chart elements, emptied when another run is chosen. */
export const CHART_ELEMENTS = ['chart-loss', 'chart-metrics', 'chart-throughput', 'chart-sizes', 'chart-confusion'];

/** The progress line from a step of the run's events, as it is written. */
export function showProgressLine(line: LogLine): void {
  const { loss, epoch, step, imagesPerSec } = line;
  if (line.type !== 'step' || !loss || typeof loss !== 'object' || typeof epoch !== 'number' || typeof step !== 'number') return;
  const parts = Object.entries(loss as Record<string, unknown>)
    .map(([k, v]) => `${k} ${fixed(v, 4)}`)
    .join(', ');
  $('run-progress').textContent = `epoch ${epoch + 1}, step ${step + 1}: ${parts}; ${fixed(imagesPerSec, 0)} images/s`;
}

/** Shows `view` (the run's header, charts, samples and warnings), drawing only the charts that changed. */
export async function renderRun(view: RunAnswer, charts: Charts): Promise<void> {
  const { info, charts: specs } = view;
  $('run').hidden = false;
  $('run-title').textContent = `${info.name} (seed ${info.seed})`;
  $('run-status').replaceWith(Object.assign(statusBadge(info.status), { id: 'run-status' }));
  if (info.status !== 'running') {
    const steps = info.steps ? ` of ${info.steps}` : '';
    $('run-progress').textContent =
      `${info.epochsDone} of ${info.epochs} epochs, ${info.step}${steps} steps, ${fixed(info.wallSeconds, 1)} s on ${info.backend || '?'}, ${fixed(info.imagesPerSec, 0)} images/s`;
  }
  $('run-error').hidden = !info.error;
  $('run-error').textContent = info.error ?? '';
  const label = info.status === 'running' ? 'latest evaluation' : 'final';
  const evaluated = METRICS.some((m) => m in info.metrics);
  $('run-metrics').replaceChildren(
    evaluated ? `${label}${info.mainReadout ? ` (${info.mainReadout})` : ''}: ` : info.status === 'running' ? 'not evaluated yet' : 'no metrics',
    ...metricSpans(info.metrics),
  );
  $('run-config').textContent = JSON.stringify(info.config, null, 2);
  $('run-files').replaceChildren(
    ...(view.files.length ? ['files: '] : []),
    ...view.files.map((name) => Object.assign(document.createElement('a'), { href: runFileUrl(info.id, name), textContent: name, target: '_blank' })),
  );

  await charts.draw('loss', $('chart-loss'), specs.loss);
  await charts.draw('metrics', $('chart-metrics'), specs.metrics);
  await charts.draw('throughput', $('chart-throughput'), specs.throughput);
  await drawSizes(specs.sizes, charts);
  await charts.draw('confusion', $('chart-confusion'), specs.confusion);

  $('samples').hidden = !view.samples;
  if (view.samples) {
    const src = `${runFileUrl(info.id, 'samples.png')}&v=${view.samples.version}`;
    const img = $<HTMLImageElement>('samples-img');
    if (img.getAttribute('src') !== src) img.src = src;
  }
  $('run-warnings').replaceChildren(...warningItems(view.warnings));
}

/** One chart per read-out or head; a choice when there are several. */
export async function drawSizes(sizes: RunView['charts']['sizes'], charts: Charts): Promise<void> {
  const names = Object.keys(sizes);
  const choice = $<HTMLSelectElement>('sizes-readout');
  if (names.join() !== [...choice.options].map((o) => o.value).join()) {
    const keep = choice.value;
    choice.replaceChildren(...names.map((n) => new Option(n, n)));
    if (names.includes(keep)) choice.value = keep;
  }
  $('sizes-choice').hidden = names.length < 2;
  await charts.draw('sizes', $('chart-sizes'), sizes[choice.value]);
}
