// Records a short clusterflow training run so that a PyTorch twin (twin.py, beside
// this file) can replay it from identical initial weights on identical batches:
// the initial state of backbone and objective, every step's two augmented views
// (exactly the tensors our backbone saw), the loss parts of every step, the
// gradients and the state before chosen steps (for teacher-forced comparisons),
// the state after chosen steps, and the eval-mode cluster assignment at the end.
//
// It drives the loop's own trainStep (packages/core), with the augmentation and the
// optimizer wrapped only to record what passes through them.
//
// Usage, from the repository root (then twin.py, beside this file, on the same folder):
//   node --conditions=source --import=tsx tools/twin/dump-run.ts \
//     --out /tmp/twin-cc [--objective cc] [--options '{}'] [--split test] [--seed 0] [--steps 100] \
//     [--grad-steps 0,1,10,50,99] [--state-steps 1,10,50,100] [--optimizer '{"id":"adam","options":{"lr":0.0003}}']
//     [--schedule '{"id":"constant"}'] [--epochs E]
//   --secu '{"constraint":"size"}' stands for --objective secu --options '{"constraint":"size"}'.
// The 10k test split is bundled; for --split train or all the idx files are read from
// ../shared/data/fashion-mnist beside the repository unless --path names a folder.
// Files: <out>/manifest.json and the raw little-endian float32/int32 .bin files it names.
// States are written before every grad step (before<s>/...) and after every state step
// (after<s>/...), with the objective's host arrays (SeCu's labels, counts, duals) too.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as tfc from '@tensorflow/tfjs-core';
import {
  buildRun,
  embed,
  paramGroups,
  parseRunConfig,
  createRegistry,
  resolveRunConfig,
  selectBackend,
  tf,
  trainStep,
  type GroupStep,
} from '@clusterflow/core';
import { register as data } from '@clusterflow/data';
import { register as backbones } from '@clusterflow/backbones';
import { register as evaluation } from '@clusterflow/eval';
import { register as objectives } from '@clusterflow/objectives';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string' },
    objective: { type: 'string', default: 'cc' },
    options: { type: 'string', default: '{}' },
    secu: { type: 'string' },
    optimizer: { type: 'string', default: '{"id":"adam","options":{"lr":0.0003}}' },
    schedule: { type: 'string', default: '{"id":"constant"}' },
    split: { type: 'string', default: 'test' },
    path: { type: 'string' },
    seed: { type: 'string', default: '0' },
    steps: { type: 'string', default: '100' },
    batch: { type: 'string', default: '256' },
    // The schedule's length in epochs (default: the epochs the recorded steps span), so
    // that a short recording can follow the first steps of a longer run's schedule.
    epochs: { type: 'string' },
    'grad-steps': { type: 'string', default: '0,1,10,50,99' },
    'state-steps': { type: 'string', default: '1,10,50,100' },
    'no-bn': { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
  },
});
if (!a.out) throw new Error('--out DIR is required');
const out = resolve(a.out);
mkdirSync(out, { recursive: true });
const steps = Number(a.steps);
const batchSize = Number(a.batch);
const list = (s: string) => new Set(s.split(',').filter(Boolean).map(Number));
const gradSteps = list(a['grad-steps']!);
const stateSteps = list(a['state-steps']!);
const objectiveId = a.secu !== undefined ? 'secu' : a.objective!;
const objectiveOptions = JSON.parse(a.secu ?? a.options!);
// The repository's root is four folders up; the shared data folder lies beside it.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sharedData = resolve(repoRoot, '..', 'shared', 'data', 'fashion-mnist');
const dataPath = a.path ? resolve(a.path) : a.split !== 'test' && existsSync(sharedData) ? sharedData : undefined;

const registry = createRegistry();
for (const [name, reg] of Object.entries({ data, backbones, evaluation, objectives })) reg(registry.registrar(name));
await selectBackend(a.backend as 'wasm');
const optimizerRef = JSON.parse(a.optimizer!);
const cfg = resolveRunConfig(
  parseRunConfig({
    name: 'twin',
    seed: Number(a.seed),
    backend: a.backend,
    data: { id: 'fashion-mnist', options: { split: a.split, ...(dataPath ? { path: dataPath } : {}) } },
    augmentation: { id: 'multi-view', options: { views: 2 } },
    backbone: { id: 'mlp', options: { featureDim: 128, hidden: [500, 500, 2000], batchNorm: !a['no-bn'] } },
    objective: [{ id: objectiveId, options: objectiveOptions }],
    optimizer: optimizerRef,
    schedule: JSON.parse(a.schedule!),
    train: { epochs: 1, batchSize },
  }),
  registry,
);
const run = await buildRun(cfg, registry, process.cwd());
const optimizer = registry.build('optimizer', cfg.optimizer, {});
const schedule = registry.build('schedule', cfg.schedule, {});
const groups = paramGroups(run);

const manifest: Record<string, unknown> = {
  config: cfg,
  steps,
  batchSize,
  numSamples: run.dataset.size,
  tensors: {} as Record<string, { file: string; shape: number[]; dtype: string }>,
  losses: [] as Record<string, number>[],
  lrs: [] as number[][],
};
const tensors = manifest.tensors as Record<string, { file: string; shape: number[]; dtype: string }>;
function save(name: string, t: tfc.Tensor | Float32Array | Int32Array, shape?: number[]): void {
  const arr = t instanceof Float32Array || t instanceof Int32Array ? t : (t.dataSync() as Float32Array | Int32Array);
  const file = `${name.replace(/[^\w.-]/g, '_')}.bin`;
  writeFileSync(join(out, file), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  tensors[name] = { file, shape: shape ?? (t as tfc.Tensor).shape, dtype: arr instanceof Int32Array ? 'int32' : 'float32' };
}

/** Every named tensor of backbone and objective (live variables: read only). */
function stateMap(): Record<string, tfc.Tensor> {
  const m: Record<string, tfc.Tensor> = {};
  for (const [k, v] of Object.entries(run.backbone.getState())) m[`backbone.${k}`] = v;
  for (const [k, v] of Object.entries(run.objective.getState())) {
    if (!(v instanceof Float32Array || v instanceof Int32Array)) m[`objective.${k}`] = v;
  }
  return m;
}
const nameOf = new Map<tfc.Tensor, string>(Object.entries(stateMap()).map(([k, v]) => [v, k]));
/** The state's tensors, and the objective's host arrays (copies) when `host`. */
function saveState(prefix: string, host = true): void {
  for (const [k, v] of Object.entries(stateMap())) save(`${prefix}/${k}`, v);
  if (!host) return;
  for (const [k, v] of Object.entries(run.objective.getState())) {
    if (v instanceof Float32Array || v instanceof Int32Array) save(`${prefix}/objective.${k}`, v, [v.length]);
  }
}
saveState('init', false);

// Record the views the backbone gets, and the gradients the optimizer gets.
let step = 0;
const viewBuf = new Float32Array(steps * 2 * batchSize * 784);
const aug = run.augmentation;
run.augmentation = {
  ...aug,
  views(x, rng) {
    const v = aug.views(x, rng);
    v.forEach((t, i) => viewBuf.set(t.dataSync() as Float32Array, (step * 2 + i) * batchSize * 784));
    return v;
  },
};
const stepFn = optimizer.step.bind(optimizer);
optimizer.step = (gs: GroupStep[]) => {
  if (gradSteps.has(step)) {
    for (const g of gs) g.variables.forEach((v, i) => save(`grad${step}/${nameOf.get(v) ?? v.name}`, g.grads[i]));
  }
  (manifest.lrs as number[][]).push(gs.map((g) => g.lr));
  stepFn(gs);
};

// The loop of packages/core (loop/train.ts): per epoch, the objective's onEpochStart,
// then a new permutation; the last partial batch is dropped.
const stepsPerEpoch = Math.floor(run.dataset.size / batchSize);
const epochs = a.epochs ? Number(a.epochs) : Math.ceil(steps / stepsPerEpoch);
manifest.scheduleEpochs = epochs;
let order: Int32Array = new Int32Array(0);
const indices = new Int32Array(steps * batchSize);
const t0 = performance.now();
for (step = 0; step < steps; step++) {
  const s = step % stepsPerEpoch;
  const epoch = Math.floor(step / stepsPerEpoch);
  if (s === 0) {
    await run.objective.onEpochStart?.(epoch);
    order = run.rng.permutation(run.dataset.size);
  }
  const idx = order.slice(s * batchSize, (s + 1) * batchSize);
  indices.set(idx, step * batchSize);
  if (gradSteps.has(step)) saveState(`before${step}`);
  const lr = schedule.lr(optimizer.lr, epoch + s / stepsPerEpoch, epochs);
  const loss = await trainStep(run, optimizer, groups, { indices: idx, epoch, step, lr });
  (manifest.losses as Record<string, number>[]).push(loss);
  if (stateSteps.has(step + 1)) saveState(`after${step + 1}`);
  if (step % 20 === 0) console.log(`step ${step}`, JSON.stringify(loss), `${((performance.now() - t0) / (step + 1)).toFixed(0)} ms/step`);
}
saveState('final', false);
save('views', viewBuf, [steps, 2, batchSize, 784]);
save('indices', indices, [steps, batchSize]);
// Eval-mode features and the objective's read-outs on the un-augmented dataset.
const features = await embed(run, 1024);
const readouts = await run.objective.predict(features);
for (const [k, v] of Object.entries(readouts)) if (v instanceof Int32Array) save(`predict/${k}`, v, [v.length]);
manifest.readouts = Object.keys(readouts);
save('predict/features', features);
features.dispose();
const labels = run.dataset.labels;
if (labels) save('labels', Int32Array.from(labels), [labels.length]);
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
console.log(`wrote ${out} (${steps} steps, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
