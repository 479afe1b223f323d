/**
 * Training-step throughput on wasm with clusterflow's kernels, without and then
 * with the OpenBLAS kernels (@clusterflow/native), beside PyTorch on 2 threads,
 * in one invocation (compare ratios: absolute times on shared machines are noisy).
 *
 *   npx tsx --conditions=source packages/core/bench/throughput-native.ts [--steps 8] [--no-torch]
 *
 * Registration is one-way in a process, so the plain wasm rows run first.
 */
import { spawnSync } from 'node:child_process';
import { tf } from '../src/index.js';
import { registerWasmKernels } from '../src/kernels/index.js';
import { nativeStats, tryRegisterNativeKernels } from '../src/kernels/native-matmul.js';
import { nativeConvStats } from '../src/kernels/native-conv.js';
import { convnet, mlp, trainStep, type BenchModel } from './models.js';

const stepsAt = process.argv.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(process.argv[stepsAt + 1]) : 8;

function median(model: BenchModel, n: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) trainStep(model);
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    trainStep(model);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

function torch(): Map<string, number> {
  const out = new Map<string, number>();
  if (process.argv.includes('--no-torch')) return out;
  const r = spawnSync('/usr/bin/python3', ['/work/shared/bench/torch_steps.py', '--threads', '2', '--steps', String(Math.max(steps, 10)), '--warmup', '2'], {
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`torch_steps.py failed: ${r.stderr}`);
  for (const line of r.stdout.split('\n')) if (line.startsWith('{')) {
    const j = JSON.parse(line) as { model: string; ms_median: number };
    out.set(j.model, j.ms_median);
  }
  return out;
}

const rows: { model: string; backend: string; ms: number; gflops: number; sgemmPerStep?: number }[] = [];
async function run(backend: string): Promise<void> {
  for (const make of [mlp, convnet]) {
    const model = make();
    const calls = nativeStats.calls + nativeConvStats.calls;
    const n = make === mlp ? steps : Math.max(3, Math.ceil(steps / 2));
    const ms = median(model, n, 2);
    rows.push({
      model: model.name, backend, ms: Math.round(ms * 10) / 10, gflops: Math.round(model.flopsPerStep / ms / 1e5) / 10,
      sgemmPerStep: backend.includes('native') ? (nativeStats.calls + nativeConvStats.calls - calls) / (n + 2) : undefined,
    });
    model.dispose();
  }
}

const ref = torch();
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
const ref2 = torch(); // again after, so drift over the run shows
console.log('model  backend                     ms/step  GFLOP/s  torch2t ms (before/after)  ratio to torch  sgemm/step');
for (const row of rows) {
  const t = [ref.get(row.model), ref2.get(row.model)].filter((x): x is number => x !== undefined);
  const tm = t.length ? t.reduce((a, b) => a + b) / t.length : undefined;
  console.log([row.model.padEnd(5), row.backend.padEnd(27), String(row.ms).padStart(7), String(row.gflops).padStart(8),
    (t.join(' / ') || '-').padStart(26), (tm ? (tm / row.ms).toFixed(3) : '-').padStart(15), String(row.sgemmPerStep ?? '')].join('  '));
}
void tf;
