/**
 * The measurement for a GPU machine, in one command (see scripts/gpu/): on the
 * WebGPU backend (Dawn), one training step of the throughput models beside
 * PyTorch on CUDA in the same run, then a short training run on Fashion-MNIST
 * (70k) with the ConvNet; everything goes to <out>/gpu.json.
 *
 *   models    MLP 784-500-500-2000-128 at batch 256, ConvNet at 128 and ResNet-18
 *             (CIFAR stem) at 128, from models.ts: raw tf ops doing the work of
 *             torch_steps.py / torch_resnet18.py, timed alike (median of `steps`
 *             after `warmup`; a step ends when its loss is read back, as torch's
 *             loss.item() waits for the device). ratio = PyTorch ms / WebGPU ms.
 *   training  `objective` (cc) on the ConvNet, `epochs` epochs of batch 256 over
 *             the 70k images, evaluated at the end (ACC, NMI, ARI).
 *
 * Checked on a CPU-only machine with SwiftShader at tiny sizes:
 *   --batch-scale 0.0625 --steps 2 --warmup 1 --allow-software --torch-device cpu --max-steps 3 --epochs 1 --split test --train-batch 16
 *   (--models mlp,cnn leaves out ResNet-18, whose step takes minutes on SwiftShader)
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRegistry, runTraining, selectBackend, tf, type EpochEndEvent } from '@clusterflow/core';
import { register as data } from '@clusterflow/data';
import { register as backbones } from '@clusterflow/backbones';
import { register as evaluation } from '@clusterflow/eval';
import { register as objectives } from '@clusterflow/objectives';
import { convnet, mlp, resnet18, type BenchModel } from '../speed/models.js';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: process.env.OUT ?? 'gpu-out' },
    steps: { type: 'string', default: '20' },
    models: { type: 'string', default: 'mlp,cnn,resnet18' },
    warmup: { type: 'string', default: '3' },
    'batch-scale': { type: 'string', default: '1' },
    'allow-software': { type: 'boolean', default: false },
    python: { type: 'string', default: 'python3' },
    'torch-script': { type: 'string' },
    'torch-steps-dir': { type: 'string' },
    'torch-device': { type: 'string', default: 'cuda' },
    data: { type: 'string' },
    split: { type: 'string', default: 'all' },
    objective: { type: 'string', default: 'cc' },
    epochs: { type: 'string', default: '2' },
    'train-batch': { type: 'string', default: '256' },
    'max-steps': { type: 'string', default: '0' },
  },
});

interface ModelTiming {
  model: string;
  batch: number;
  msMedian: number;
  gflops: number;
  /** Bytes the WebGPU backend held after the timed steps (its buffer pool included). */
  gpuBytes?: number;
}

/** Median wall time of a training step (forward, backward, SGD), the loss read back asynchronously. */
async function timeModel(model: BenchModel, steps: number, warmup: number): Promise<ModelTiming> {
  const step = async () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(model.input))) as tf.Scalar, model.variables);
      for (const v of model.variables) v.assign(tf.sub(v, tf.mul(grads[v.name], 1e-3)));
      return value;
    });
    await loss.data();
    loss.dispose();
  };
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  const mem = tf.memory() as { numBytesInGPU?: number };
  return { model: model.name, batch: model.batch, msMedian: ms, gflops: model.flopsPerStep / (ms * 1e-3) / 1e9, gpuBytes: mem.numBytesInGPU };
}

interface TorchTiming {
  model: string;
  ms_median: number;
  gflops: number;
  device: string;
  batch: number;
}

/** torch_gpu.py's JSON lines, or the reason it could not run. */
function runTorch(scale: number, steps: number, warmup: number): Promise<{ rows: TorchTiming[]; error?: string }> {
  const script = args['torch-script'];
  const stepsDir = args['torch-steps-dir'];
  if (!script || !stepsDir) return Promise.resolve({ rows: [], error: 'no --torch-script / --torch-steps-dir given' });
  const argv = [
    script,
    '--steps-dir',
    stepsDir,
    '--device',
    args['torch-device']!,
    '--steps',
    String(steps),
    '--warmup',
    String(warmup),
    '--batch-scale',
    String(scale),
  ];
  return new Promise((resolve) => {
    const child = spawn(args.python!, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ rows: [], error: `${args.python} could not start: ${e.message}` }));
    child.on('close', (code) => {
      const rows = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as TorchTiming);
      resolve(code === 0 ? { rows } : { rows, error: `torch_gpu.py exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

const scale = Number(args['batch-scale']);
const steps = Number(args.steps);
const warmup = Number(args.warmup);
const scaled = (b: number) => Math.max(2, Math.round(b * scale));
const backendRef = { id: 'webgpu', options: { allowSoftware: args['allow-software'] } };
const started = performance.now();
const report: Record<string, unknown> = { date: new Date().toISOString(), args };

const backend = await selectBackend(backendRef);
report.backend = backend.summary;
console.log(backend.summary);

const timings: ModelTiming[] = [];
const makers: Record<string, () => BenchModel> = { mlp: () => mlp(scaled(256)), cnn: () => convnet(scaled(128)), resnet18: () => resnet18(scaled(128)) };
for (const name of args.models!.split(',')) {
  if (!makers[name]) throw new Error(`--models: unknown model '${name}'; the models are ${Object.keys(makers).join(', ')}`);
  const model = makers[name]();
  try {
    timings.push(await timeModel(model, steps, warmup));
    console.log(`webgpu ${model.name} batch ${model.batch}: ${timings.at(-1)!.msMedian.toFixed(2)} ms/step`);
  } catch (err) {
    console.log(`webgpu ${model.name}: failed: ${(err as Error).message}`);
    report[`error_${model.name}`] = (err as Error).message;
  } finally {
    model.dispose();
  }
}
const torch = await runTorch(scale, steps, warmup);
if (torch.error) console.log(`torch: ${torch.error}`);
report.models = timings.map((t) => {
  const ref = torch.rows.find((r) => r.model === t.model);
  return { ...t, torch: ref, ratio: ref ? ref.ms_median / t.msMedian : undefined };
});
report.torchError = torch.error;
for (const m of report.models as { model: string; batch: number; msMedian: number; ratio?: number; torch?: TorchTiming }[]) {
  console.log(
    `${m.model} batch ${m.batch}: webgpu ${m.msMedian.toFixed(2)} ms, torch ${m.torch?.device ?? '-'} ${m.torch?.ms_median ?? '-'} ms, ratio ${m.ratio?.toFixed(3) ?? '-'}`,
  );
}

if (args.data) {
  const registry = createRegistry();
  for (const [name, register] of Object.entries({ data, backbones, evaluation, objectives })) register(registry.registrar(name));
  const epochs: EpochEndEvent[] = [];
  const summary = await runTraining(
    {
      name: `${args.objective}-convnet-fmnist70k`,
      backend: backendRef,
      data: { id: 'fashion-mnist', options: { path: args.data, split: args.split } },
      backbone: { id: 'convnet' },
      objective: [{ id: args.objective! }],
      train: { epochs: Number(args.epochs), batchSize: Number(args['train-batch']), maxStepsPerEpoch: Number(args['max-steps']) },
      eval: { every: Number(args.epochs) },
    },
    {
      registry,
      logger: { info: (m) => console.log(m), warn: (m) => console.log(m) },
      hooks: [{ id: 'progress', options: { logEvery: 50 } }],
      onEvent: (e) => void (e.type === 'epoch-end' && epochs.push(e)),
    },
  );
  report.training = {
    split: args.split,
    epochs: summary?.epochsDone,
    steps: summary?.steps,
    wallSeconds: summary?.wallSeconds,
    imagesPerSec: summary?.imagesPerSec,
    metrics: summary?.metrics,
    perEpoch: epochs.map((e) => ({ epoch: e.epoch, seconds: e.seconds, imagesPerSec: e.imagesPerSec, loss: e.loss, metrics: e.metrics })),
  };
  console.log(`training: ${JSON.stringify(report.training)}`);
}

report.wallSeconds = (performance.now() - started) / 1000;
await mkdir(args.out!, { recursive: true });
await writeFile(join(args.out!, 'gpu.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${join(args.out!, 'gpu.json')} after ${(report.wallSeconds as number).toFixed(0)} s`);
// Dawn may keep the event loop alive.
process.exit(0);
