/**
 * Training-step throughput on wasm with clusterflow's kernels, without and then
 * with the OpenBLAS kernels (@clusterflow/native), beside PyTorch on 2 threads,
 * in one invocation (compare ratios: absolute times on shared machines are noisy).
 *
 *   npx tsx --conditions=source packages/core/bench/throughput-native.ts [--steps 8]
 *     [--resnet-steps 3] [--resnet-batch 32] [--no-resnet] [--no-torch]
 *
 * Models: MLP and ConvNet (../shared/bench/torch_steps.py) and ResNet-18 with
 * the CIFAR stem (torch_resnet18.py); see models.ts. ResNet-18 runs at batch 32,
 * torch too: its reference batch, 128, does not fit the wasm heap (models.ts,
 * RESNET_BENCH_BATCH). At ~107 GFLOP a step (batch 32) it takes seconds per step
 * here, so it runs --resnet-steps timed steps after 1 warm-up, torch likewise.
 *
 * Registration is one-way in a process, so the plain wasm rows run first.
 */
import { parseArgs } from 'node:util';
import { tf } from '../src/index.js';
import { registerWasmKernels } from '../src/kernels/index.js';
import { nativeStats, tryRegisterNativeKernels } from '../src/kernels/native-matmul.js';
import { nativeConvStats } from '../src/kernels/native-conv.js';
import { convnet, medianStepMs, mlp, resnet18, RESNET_BENCH_BATCH } from './models.js';
import { checkFlops, runTorch, TORCH_RESNET18, TORCH_STEPS } from './torch-ref.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '8' },
    'resnet-steps': { type: 'string', default: '3' },
    'resnet-batch': { type: 'string', default: String(RESNET_BENCH_BATCH) },
    'no-resnet': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
  },
});
const steps = Number(args.steps);
const resnetSteps = Number(args['resnet-steps']);
const resnetBatch = Number(args['resnet-batch']);
const withResnet = !args['no-resnet'];

function torch(): Map<string, number> {
  const out = new Map<string, number>();
  if (args['no-torch']) return out;
  const res = new Map([
    ...runTorch(TORCH_STEPS, Math.max(steps, 10), 2),
    ...(withResnet ? runTorch(TORCH_RESNET18, resnetSteps, 1, ['--batch', String(resnetBatch)]) : []),
  ]);
  if (!flopsChecked) {
    flopsChecked = true;
    const models = [mlp(), convnet(), ...(withResnet ? [resnet18(resnetBatch)] : [])];
    checkFlops(models, res);
    models.forEach((m) => m.dispose());
  }
  for (const [m, r] of res) out.set(m, r.ms_median);
  return out;
}
let flopsChecked = false;

const rows: { model: string; backend: string; ms: number; gflops: number; sgemmPerStep?: number }[] = [];
async function run(backend: string): Promise<void> {
  const plan = [
    { make: mlp, n: steps, warmup: 2 },
    { make: convnet, n: Math.max(3, Math.ceil(steps / 2)), warmup: 2 },
    ...(withResnet ? [{ make: () => resnet18(resnetBatch), n: resnetSteps, warmup: 1 }] : []),
  ];
  for (const { make, n, warmup } of plan) {
    const model = make();
    const calls = nativeStats.calls + nativeConvStats.calls;
    const ms = medianStepMs(model, n, warmup);
    rows.push({
      model: model.name, backend, ms: Math.round(ms * 10) / 10, gflops: Math.round(model.flopsPerStep / ms / 1e5) / 10,
      sgemmPerStep: backend.includes('native') ? (nativeStats.calls + nativeConvStats.calls - calls) / (n + warmup) : undefined,
    });
    console.log(`${model.name} on ${backend}: ${ms.toFixed(1)} ms/step (median of ${n})`);
    model.dispose();
  }
}

const ref = torch();
const t0 = performance.now();
// Not selectBackend('wasm'): it would install the native kernels before the baseline rows.
await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend('wasm');
await tf.ready();
registerWasmKernels();
await run('wasm+kernels');
const r = await tryRegisterNativeKernels({ matmul: true, conv: false });
console.log(`native: ${r.used ? 'used' : 'NOT used'}: ${r.reason}`);
if (r.used) {
  await run('wasm+kernels+native-mm');
  const r2 = await tryRegisterNativeKernels({ matmul: true, conv: true });
  console.log(`native: ${r2.reason}`);
  await run('wasm+kernels+native-mm+conv');
}
const tfjsSeconds = (performance.now() - t0) / 1000;
const ref2 = torch(); // again after, so drift over the run shows
console.log(`TF.js rows took ${tfjsSeconds.toFixed(0)} s`);
console.log('model     backend                     ms/step  GFLOP/s  torch2t ms (before/after)  ratio to torch  sgemm/step');
for (const row of rows) {
  const t = [ref.get(row.model), ref2.get(row.model)].filter((x): x is number => x !== undefined);
  const tm = t.length ? t.reduce((a, b) => a + b) / t.length : undefined;
  console.log([row.model.padEnd(8), row.backend.padEnd(27), String(row.ms).padStart(7), String(row.gflops).padStart(8),
    (t.join(' / ') || '-').padStart(26), (tm ? (tm / row.ms).toFixed(3) : '-').padStart(15), String(row.sgemmPerStep ?? '')].join('  '));
}
void tf;
