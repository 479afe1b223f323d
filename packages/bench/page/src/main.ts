// The live view's page: the runs table (from /api/runs/live) and the selected run's
// charts (vega-lite specs from /api/run, redrawn as /api/run/events reports progress).
// Bundled by page/build.ts (esbuild) into dist/page; vega, vega-lite and vega-embed
// come as scripts of their own from /vendor/ (vegaEmbed is their global).
import type embed from 'vega-embed';
import { Charts } from '@clusterflow/report/page';
import { fetchRun, parseLine, type RunAnswer, type RunRow } from './api.js';
import { $ } from './dom.js';
import { CHART_ELEMENTS, drawSizes, renderRun, showProgressLine } from './run-panel.js';
import { renderTable, type SortOrder } from './runs-table.js';
import { Throttle } from './throttle.js';

declare const vegaEmbed: typeof embed;

const charts = new Charts(vegaEmbed);

/** What the page knows; `window.clusterflow` for tests and curious users. */
const state = {
  runs: [] as RunRow[],
  sort: { key: 'name', dir: 1 } as SortOrder,
  selected: undefined as string | undefined,
  /** The selected run's event stream. */
  events: undefined as EventSource | undefined,
  /** Rendered vega views by chart (`views.loss.data('steps')`: the loss curve). */
  views: charts.views,
  /** The last view fetched for the selected run. */
  view: undefined as RunAnswer | undefined,
};
Object.assign(window, { clusterflow: state });

/** Redraws at most once a second however fast events come (a step every few ms on a GPU). */
const redraw = new Throttle(refresh, 1000);

// ---- the runs table -------------------------------------------------------------

const showTable = () => renderTable(state.runs, state.sort, state.selected, select);

for (const th of document.querySelectorAll<HTMLTableCellElement>('#runs th')) {
  th.addEventListener('click', () => {
    const key = th.dataset.key ?? '';
    state.sort = { key, dir: state.sort.key === key ? (-state.sort.dir as SortOrder['dir']) : 1 };
    showTable();
  });
}

function connection(text: string, live: boolean): void {
  $('connection').textContent = text;
  $('connection').classList.toggle('live', live);
}

function listenToRuns(): void {
  const source = new EventSource('/api/runs/live');
  source.addEventListener('open', () => connection('live', true));
  source.addEventListener('error', () => connection('reconnecting…', false));
  source.addEventListener('failure', (e) =>
    connection(`cannot read the runs folder: ${String(parseLine((e as MessageEvent<string>).data)?.error ?? 'unknown error')}`, false),
  );
  source.addEventListener('runs', (e) => {
    connection('live', true);
    state.runs = JSON.parse((e as MessageEvent<string>).data) as RunRow[];
    showTable();
    const fromHash = decodeURIComponent(location.hash.replace(/^#run=/, ''));
    if (!state.selected) {
      const first = state.runs.find((r) => r.id === fromHash) ?? state.runs.find((r) => r.status === 'running') ?? state.runs[0];
      if (first) select(first.id);
    } else {
      // The header's status and metrics come with the list; charts follow the events.
      const info = state.runs.find((r) => r.id === state.selected);
      if (info && state.view && (info.status !== state.view.info.status || info.updated !== state.view.info.updated)) redraw.schedule();
    }
  });
}

// ---- one run --------------------------------------------------------------------

function select(id: string): void {
  if (state.selected === id) return;
  state.selected = id;
  history.replaceState(null, '', `#run=${encodeURIComponent(id)}`);
  showTable();
  state.events?.close();
  charts.clear();
  state.view = undefined;
  for (const chart of CHART_ELEMENTS) $(chart).replaceChildren();
  void redraw.now();
  // Each line of the run's events.jsonl as it is written: a sign to redraw.
  state.events = new EventSource(`/api/run/events?id=${encodeURIComponent(id)}`);
  state.events.addEventListener('message', (e) => {
    // A run's log is a file anyone could have written: a line that is not JSON is passed over.
    const line = parseLine(e.data as string);
    if (line) showProgressLine(line);
    redraw.schedule();
  });
  state.events.addEventListener('reset', () => redraw.schedule());
}

async function refresh(): Promise<void> {
  const id = state.selected;
  if (id === undefined) return;
  try {
    const view = await fetchRun(id);
    if (id !== state.selected) return; // another run was chosen meanwhile
    state.view = view;
    await renderRun(view, charts);
  } catch (err) {
    $('run-error').hidden = false;
    $('run-error').textContent = `could not load the run: ${(err as Error).message}`;
  }
}

$('sizes-readout').addEventListener('change', () => void (state.view && drawSizes(state.view.charts.sizes, charts)));

void fetch('/api/runs')
  .then((r) => r.json() as Promise<{ root: string }>)
  .then(({ root }) => ($('root').textContent = root));
listenToRuns();
