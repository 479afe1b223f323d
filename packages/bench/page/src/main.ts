// The live view's page: the runs table (from /api/runs/live) and the selected run's
// charts (vega-lite specs from /api/run, redrawn as /api/run/events reports progress).
// Plain browser JavaScript: served as is, nothing to build. vegaEmbed is a global
// from /vendor/vega-embed.min.js.

const $ = (id) => document.getElementById(id);

/** What the page knows; `window.clusterflow` for tests and curious users. */
const state = {
  runs: [],
  sort: { key: 'name', dir: 1 },
  selected: undefined,
  /** The selected run's event stream. */
  events: undefined,
  /** Rendered vega views by chart, and the spec each was drawn from. */
  views: {},
  drawn: {},
  /** The last view fetched for the selected run. */
  view: undefined,
};
window.clusterflow = state;

const METRICS = ['acc', 'nmi', 'ari'];
const fixed = (v, digits) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

// ---- the runs table -------------------------------------------------------------

/** A run's value in a column, for sorting: numbers for numeric columns. */
function columnValue(run, key) {
  if (METRICS.includes(key)) return run.metrics[key];
  if (key === 'objective') return run.objectives.join(' + ');
  return run[key];
}

function sortedRuns() {
  const { key, dir } = state.sort;
  return [...state.runs].sort((a, b) => {
    const x = columnValue(a, key);
    const y = columnValue(b, key);
    // Missing values (a metric not computed yet) go last either way.
    if (x === undefined || y === undefined) return (x === undefined) - (y === undefined);
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return c * dir || a.id.localeCompare(b.id);
  });
}

function statusBadge(status) {
  const span = document.createElement('span');
  span.className = `status ${status}`;
  span.textContent = status;
  return span;
}

function renderTable() {
  const body = document.querySelector('#runs tbody');
  body.replaceChildren(
    ...sortedRuns().map((run) => {
      const tr = document.createElement('tr');
      tr.dataset.id = run.id;
      tr.classList.toggle('selected', run.id === state.selected);
      const cells = [
        [run.name],
        [run.seed, 'num'],
        [run.bench || '.'],
        [statusBadge(run.status)],
        [run.objectives.join(' + ')],
        [run.backbone],
        [run.dataset],
        [run.backend],
        [`${run.epochsDone}/${run.epochs}`, 'num'],
        ...METRICS.map((m) => [fixed(run.metrics[m], 4), `num metric-${m}`]),
        [fixed(run.imagesPerSec, 0), 'num'],
        [fixed(run.wallSeconds, 1), 'num'],
        [run.warnings, 'num'],
      ];
      for (const [content, cls] of cells) {
        const td = document.createElement('td');
        if (cls) td.className = cls;
        td.append(content instanceof Node ? content : String(content));
        tr.append(td);
      }
      tr.addEventListener('click', () => select(run.id));
      return tr;
    }),
  );
  for (const th of document.querySelectorAll('#runs th')) {
    th.classList.toggle('sorted-asc', th.dataset.key === state.sort.key && state.sort.dir > 0);
    th.classList.toggle('sorted-desc', th.dataset.key === state.sort.key && state.sort.dir < 0);
  }
  $('no-runs').hidden = state.runs.length > 0;
}

for (const th of document.querySelectorAll('#runs th')) {
  th.addEventListener('click', () => {
    const key = th.dataset.key;
    state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
    renderTable();
  });
}

/** A log line as an object, or undefined when it is not a JSON object. */
function parseLine(text) {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function connection(text, live) {
  $('connection').textContent = text;
  $('connection').classList.toggle('live', live);
}

function listenToRuns() {
  const source = new EventSource('/api/runs/live');
  source.addEventListener('open', () => connection('live', true));
  source.addEventListener('error', () => connection('reconnecting…', false));
  source.addEventListener('failure', (e) => connection(`cannot read the runs folder: ${parseLine(e.data)?.error ?? 'unknown error'}`, false));
  source.addEventListener('runs', (e) => {
    connection('live', true);
    state.runs = JSON.parse(e.data);
    renderTable();
    const fromHash = decodeURIComponent(location.hash.replace(/^#run=/, ''));
    if (!state.selected) {
      const first = state.runs.find((r) => r.id === fromHash) ?? state.runs.find((r) => r.status === 'running') ?? state.runs[0];
      if (first) select(first.id);
    } else {
      // The header's status and metrics come with the list; charts follow the events.
      const info = state.runs.find((r) => r.id === state.selected);
      if (info && state.view && (info.status !== state.view.info.status || info.updated !== state.view.info.updated)) scheduleRefresh();
    }
  });
}

// ---- one run --------------------------------------------------------------------

function select(id) {
  if (state.selected === id) return;
  state.selected = id;
  history.replaceState(null, '', `#run=${encodeURIComponent(id)}`);
  renderTable();
  state.events?.close();
  for (const v of Object.values(state.views)) v.finalize();
  state.views = {};
  state.drawn = {};
  state.view = undefined;
  for (const chart of ['chart-loss', 'chart-metrics', 'chart-throughput', 'chart-sizes', 'chart-confusion']) $(chart).replaceChildren();
  void refresh();
  // Each line of the run's events.jsonl as it is written: a sign to redraw.
  state.events = new EventSource(`/api/run/events?id=${encodeURIComponent(id)}`);
  state.events.addEventListener('message', (e) => {
    // A run's log is a file anyone could have written: a line that is not JSON is passed over.
    const line = parseLine(e.data);
    if (line) showProgressLine(line);
    scheduleRefresh();
  });
  state.events.addEventListener('reset', () => scheduleRefresh());
}

/** Redraws at most once a second however fast events come (a step every few ms on a GPU). */
const REFRESH_MS = 1000;
let refreshing = false;
let lastRefresh = 0;
let pending;
function scheduleRefresh() {
  if (pending) return;
  pending = setTimeout(async () => {
    if (refreshing) {
      pending = undefined;
      return scheduleRefresh();
    }
    await refresh();
    pending = undefined;
  }, Math.max(0, lastRefresh + REFRESH_MS - Date.now()));
}

async function refresh() {
  const id = state.selected;
  refreshing = true;
  lastRefresh = Date.now();
  try {
    const res = await fetch(`/api/run?id=${encodeURIComponent(id)}`);
    if (!res.ok) throw new Error((await res.json()).error ?? res.statusText);
    const view = await res.json();
    if (id !== state.selected) return; // another run was chosen meanwhile
    state.view = view;
    await renderRun(view);
  } catch (err) {
    $('run-error').hidden = false;
    $('run-error').textContent = `could not load the run: ${err.message}`;
  } finally {
    refreshing = false;
  }
}

function showProgressLine(line) {
  if (line.type !== 'step' || !line.loss || typeof line.loss !== 'object') return;
  const parts = Object.entries(line.loss).map(([k, v]) => `${k} ${fixed(v, 4)}`).join(', ');
  $('run-progress').textContent = `epoch ${line.epoch + 1}, step ${line.step + 1}: ${parts}; ${fixed(line.imagesPerSec, 0)} images/s`;
}

async function renderRun(view) {
  const { info, charts } = view;
  $('run').hidden = false;
  $('run-title').textContent = `${info.name} (seed ${info.seed})`;
  $('run-status').replaceWith(Object.assign(statusBadge(info.status), { id: 'run-status' }));
  if (info.status !== 'running') {
    const steps = info.steps ? ` of ${info.steps}` : '';
    $('run-progress').textContent = `${info.epochsDone} of ${info.epochs} epochs, ${info.step}${steps} steps, ${fixed(info.wallSeconds, 1)} s on ${info.backend || '?'}, ${fixed(info.imagesPerSec, 0)} images/s`;
  }
  $('run-error').hidden = !info.error;
  $('run-error').textContent = info.error ?? '';
  const label = info.status === 'running' ? 'latest evaluation' : 'final';
  const evaluated = METRICS.some((m) => m in info.metrics);
  $('run-metrics').replaceChildren(
    evaluated ? `${label}${info.mainReadout ? ` (${info.mainReadout})` : ''}: ` : info.status === 'running' ? 'not evaluated yet' : 'no metrics',
    ...METRICS.filter((m) => m in info.metrics).map((m) => {
      const span = document.createElement('span');
      span.dataset.metric = m;
      span.textContent = `${m.toUpperCase()} ${fixed(info.metrics[m], 4)}`;
      return span;
    }),
  );
  $('run-config').textContent = JSON.stringify(info.config, null, 2);
  $('run-files').replaceChildren(
    ...(view.files.length ? ['files: '] : []),
    ...view.files.map((name) => Object.assign(document.createElement('a'), { href: `/api/run/file?id=${encodeURIComponent(info.id)}&name=${encodeURIComponent(name)}`, textContent: name, target: '_blank' })),
  );

  await draw('loss', $('chart-loss'), charts.loss);
  await draw('metrics', $('chart-metrics'), charts.metrics);
  await draw('throughput', $('chart-throughput'), charts.throughput);
  await drawSizes(charts.sizes);
  await draw('confusion', $('chart-confusion'), charts.confusion);

  $('samples').hidden = !view.samples;
  if (view.samples) {
    const src = `/api/run/file?id=${encodeURIComponent(info.id)}&name=samples.png&v=${view.samples.version}`;
    if ($('samples-img').getAttribute('src') !== src) $('samples-img').src = src;
  }
  $('run-warnings').replaceChildren(
    ...(view.warnings.length ? view.warnings : [{ message: 'none' }]).map((w) => {
      const li = document.createElement('li');
      li.textContent = w.epoch === undefined ? w.message : `epoch ${w.epoch + 1}: ${w.message}`;
      return li;
    }),
  );
}

/** One chart per read-out or head; a choice when there are several. */
async function drawSizes(sizes) {
  const names = Object.keys(sizes);
  const select = $('sizes-readout');
  if (names.join() !== [...select.options].map((o) => o.value).join()) {
    const keep = select.value;
    select.replaceChildren(...names.map((n) => new Option(n, n)));
    if (names.includes(keep)) select.value = keep;
  }
  $('sizes-choice').hidden = names.length < 2;
  await draw('sizes', $('chart-sizes'), sizes[select.value]);
}
$('sizes-readout').addEventListener('change', () => state.view && drawSizes(state.view.charts.sizes));

/** Draws a vega-lite spec with vega-embed, unless it is the one already drawn. */
async function draw(name, element, spec) {
  const json = spec ? JSON.stringify(spec) : '';
  if (state.drawn[name] === json) return;
  state.drawn[name] = json;
  state.views[name]?.finalize();
  delete state.views[name];
  if (!spec) return element.replaceChildren();
  const { view } = await vegaEmbed(element, spec, { actions: false, renderer: 'svg' });
  state.views[name] = view;
}

fetch('/api/runs')
  .then((r) => r.json())
  .then(({ root }) => ($('root').textContent = root));
listenToRuns();
