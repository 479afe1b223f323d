// The page: train clusterflow's objectives in this tab, on WebGPU or wasm, and
// watch them with the live view's charts. Built by demo/build.ts (esbuild).
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { isSoftware, createRegistry, selectBackend } from '@clusterflow/core';
import { register as backbones } from '@clusterflow/backbones';
import { datasetFromImageFiles, imageFilesDataset, register as data, type ImageFileEntry } from '@clusterflow/data/browser';
import { register as evaluation } from '@clusterflow/eval';
import { register as objectives } from '@clusterflow/objectives';
import { Charts } from '@clusterflow/report/page';
import embed from 'vega-embed';
import { BACKBONES, BACKENDS, OBJECTIVES } from './choices.js';
import { downloadCheckpoint } from './download.js';
import { downloadModel } from './download-model.js';
import { entriesFromDrop, entriesFromInput } from './images-input.js';
import { renderRun } from './render.js';
import { runConfig, type PageSettings } from './run-config.js';
import { Session } from './session.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');

// The wasm binaries sit beside the page (the build copies them there).
setWasmPaths(new URL('./', document.baseURI).href);

const registry = createRegistry();
for (const [name, r] of Object.entries({ data, backbones, evaluation, objectives })) r(registry.registrar(`builtin:@clusterflow/${name}`));

const charts = new Charts(embed);
const session = new Session(registry, changed);

/** For tests and curious users: the page's state, its registry, its charts, and a promise of the next drawing. */
Object.assign(window, { clusterflowDemo: { state: session.state, registry, charts, drawn: () => render() } });

// ---- the menus ------------------------------------------------------------------

$('objectives').replaceChildren(
  ...OBJECTIVES.map((o, i) => {
    const label = document.createElement('label');
    label.append(Object.assign(document.createElement('input'), { type: 'checkbox', name: 'objective', value: o.value, checked: i === 0 }), ` ${o.label}`);
    return label;
  }),
);
$<HTMLSelectElement>('backbone').replaceChildren(...BACKBONES.map((b) => new Option(b.label, b.value)));
$<HTMLSelectElement>('backend').replaceChildren(...BACKENDS.map((b) => new Option(b.label, b.value)));

function settings(): PageSettings {
  const f = new FormData(form);
  const num = (name: string) => Number(f.get(name));
  return {
    data: String(f.get('data')),
    limit: f.get('limit') ? num('limit') : undefined,
    objectives: f.getAll('objective').map(String),
    backbone: String(f.get('backbone')),
    backend: String(f.get('backend')),
    numClusters: f.get('numClusters') ? num('numClusters') : undefined,
    epochs: num('epochs'),
    batchSize: num('batchSize'),
    stepsPerEpoch: num('stepsPerEpoch'),
    lr: num('lr'),
    seed: num('seed'),
  };
}

// ---- training -------------------------------------------------------------------

form.addEventListener('submit', (event) => {
  event.preventDefault();
  let config;
  try {
    config = runConfig(settings());
  } catch (err) {
    return fail(err);
  }
  void session.start(config);
});
$('stop').addEventListener('click', () => session.stop());
$('continue').addEventListener('click', () => {
  const s = settings();
  void session.resume({ epochs: s.epochs, backend: s.backend });
});
$('download').addEventListener('click', () => {
  if (session.state.checkpoint) downloadCheckpoint(session.state.checkpoint, `${session.state.run?.config.name ?? 'run'}-last.ckpt`).catch(fail);
});
// Beside it: the trained model as `clusterflow export` writes it, for loadClusterer (docs/predict-and-export.md).
$('download').after(
  Object.assign(document.createElement('button'), {
    type: 'button',
    id: 'download-model',
    disabled: true,
    textContent: 'download model',
    title: 'model.json and its weights, as clusterflow export writes them: loadClusterer reads them',
  }),
);
$('download-model').addEventListener('click', () => {
  if (session.state.checkpoint) downloadModel(session.state.checkpoint, registry).catch(fail);
});

function fail(err: unknown): void {
  session.state.error = (err as Error).message;
  changed();
}

// ---- the user's images ----------------------------------------------------------

async function loadImages(entries: ImageFileEntry[]): Promise<void> {
  if (session.busy) return;
  const summary = $('images-summary');
  if (entries.length === 0) return void (summary.textContent = 'no images among what was given');
  summary.textContent = `reading ${entries.length} images…`;
  try {
    // Resizing runs on a backend: the one the runs will use.
    await selectBackend(settings().backend, registry);
    const size = Number(new FormData(form).get('imageSize'));
    const dataset = await datasetFromImageFiles(entries, { resize: [size, size] });
    registry.registrar('page').dataset(imageFilesDataset(dataset), { override: true });
    session.state.images = { size: dataset.size, description: dataset.describe() };
    summary.textContent = dataset.describe();
    const radio = form.querySelector<HTMLInputElement>('input[name=data][value=image-files]')!;
    radio.disabled = false;
    radio.checked = true;
    // Without labels there is no class count to take the number of clusters from.
    const k = form.elements.namedItem('numClusters') as HTMLInputElement;
    if (!dataset.numClasses && !k.value) k.value = '10';
  } catch (err) {
    summary.textContent = `could not read them: ${(err as Error).message}`;
  }
  changed();
}

const drop = $('drop');
drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer) void entriesFromDrop(e.dataTransfer).then(loadImages);
});
for (const id of ['pick-files', 'pick-folder']) {
  const input = $<HTMLInputElement>(id);
  input.addEventListener('change', () => void loadImages(entriesFromInput(input)));
}

// ---- showing it -----------------------------------------------------------------

/** Buttons and the status follow every change at once; charts at most once a second, as in the live view. */
function changed(): void {
  const { status, checkpoint } = session.state;
  $('status').textContent = status;
  $('status').className = `status ${status}`;
  const busy = session.busy;
  $<HTMLButtonElement>('start').disabled = busy;
  $<HTMLButtonElement>('stop').disabled = status !== 'training';
  $<HTMLButtonElement>('continue').disabled = busy || !checkpoint;
  $<HTMLButtonElement>('download').disabled = busy || !checkpoint;
  $<HTMLButtonElement>('download-model').disabled = busy || !checkpoint;
  for (const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('fieldset input, fieldset select'))
    input.disabled = busy || (input.name === 'data' && input.value === 'image-files' && !session.state.images);
  scheduleRender();
}

const REFRESH_MS = 1000;
let lastRender = 0;
let pending: ReturnType<typeof setTimeout> | undefined;
let rendering = Promise.resolve();

function scheduleRender(): void {
  if (pending) return;
  pending = setTimeout(
    () => {
      pending = undefined;
      void render();
    },
    Math.max(0, lastRender + REFRESH_MS - Date.now()),
  );
}

/** Draws now (after any drawing in progress); resolves when done. */
function render(): Promise<void> {
  rendering = rendering.then(async () => {
    lastRender = Date.now();
    try {
      await renderRun(session.state, charts);
    } catch (err) {
      console.error('drawing failed', err);
    }
  });
  return rendering;
}

/** What this browser offers for WebGPU, before anything trains. */
async function describeWebgpu(): Promise<string> {
  type Info = { vendor?: string; architecture?: string; device?: string; description?: string };
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Info; isFallbackAdapter?: boolean } | null> } }).gpu;
  if (!gpu) return 'no WebGPU in this browser: runs use wasm';
  const adapter = await gpu.requestAdapter();
  if (!adapter) return 'WebGPU without an adapter: runs use wasm';
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture || info.device || info.description].filter(Boolean).join(' / ');
  return isSoftware(adapter, info)
    ? `WebGPU on a software adapter (${name}): auto takes wasm, faster here; choose webgpu to use it anyway`
    : `WebGPU on ${name}: auto takes it`;
}

describeWebgpu()
  .catch((err) => `WebGPU failed: ${(err as Error).message}`)
  .then((text) => {
    session.state.webgpu = text;
    $('gpu').textContent = text;
  });
changed();
