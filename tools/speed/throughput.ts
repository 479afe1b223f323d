/**
 * Training-step throughput of TF.js backends beside PyTorch, in one invocation
 * (absolute times on shared machines are noisy; ratios taken together are not).
 *
 *   npx tsx --conditions=source tools/speed/throughput.ts [--json out.json] [--steps 8]
 *     [--resnet-steps 3] [--resnet-batch 128] [--no-torch]
 *
 * Models and FLOP convention: see models.ts, ../shared/bench/torch_steps.py
 * (MLP, ConvNet) and torch_resnet18.py (ResNet-18, CIFAR stem, at its
 * reference batch 128 on both sides; seconds per step, so --resnet-steps after
 * 1 warm-up). throughput-native.ts also prints memory, and what each native
 * kernel is worth.
 * Backends: cpu (MLP only: the ConvNet step takes ~140 s there), wasm stock
 * (MLP, and the ConvNet to show it fails: stock wasm has no
 * Conv2DBackpropFilter), wasm as selectBackend('wasm') sets it up (clusterflow's
 * kernels, and the OpenBLAS ones where @clusterflow/native loads), and webgpu
 * where an adapter exists.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { selectBackend, tf, registerWasmKernels } from '@clusterflow/core';
import { convnet, medianStepMs, mlp, resnet18, RESNET_BENCH_BATCH, type BenchModel } from './models.js';
import { REDUCE_GRADIENT_KERNELS } from '../../packages/core/src/kernels/reduce_gradients.js';
import { checkFlops, runTorch, TORCH_RESNET18, TORCH_STEPS, type TorchResult } from './torch-ref.js';

/** One row of the table. */
export interface Row {
  model: string;
  backend: string;
  steps: number;
  msMedian?: number;
  imagesPerSec?: number;
  gflops?: number;
  torchMs?: number;
  /** TF.js throughput / PyTorch (2 threads) throughput. */
  ratioToTorch?: number;
  note?: string;
}

const { values: args } = parseArgs({
  options: {
    json: { type: 'string' },
    steps: { type: 'string', default: '8' },
    'resnet-steps': { type: 'string', default: '3' },
    'resnet-batch': { type: 'string', default: String(RESNET_BENCH_BATCH) },
    'no-torch': { type: 'boolean', default: false },
  },
});

function measure(model: BenchModel, backend: string, steps: number, warmup: number): Row {
  const ms = medianStepMs(model, steps, warmup);
  return {
    model: model.name,
    backend,
    steps,
    msMedian: round(ms),
    imagesPerSec: round((model.batch * 1000) / ms),
    gflops: round(model.flopsPerStep / ms / 1e6),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(): Promise<void> {
  const steps = Number(args.steps);
  const resnetSteps = Number(args['resnet-steps']);
  const resnetBatch = Number(args['resnet-batch']);
  const rows: Row[] = [];
  const torch = args['no-torch']
    ? new Map<string, TorchResult>()
    : new Map([...runTorch(TORCH_STEPS, Math.max(steps, 10), 2), ...runTorch(TORCH_RESNET18, resnetSteps, 1, ['--batch', String(resnetBatch)])]);
  const models = [mlp(), convnet(), resnet18(resnetBatch)];
  checkFlops(models, torch);
  models.forEach((m) => m.dispose());

  const resnet = () => resnet18(resnetBatch);
  const plan: { backend: string; name: string; model: () => BenchModel; steps: number; warmup: number; skip?: string }[] = [
    { backend: 'cpu', name: 'mlp', model: mlp, steps: 2, warmup: 1 },
    { backend: 'cpu', name: 'cnn', model: convnet, steps: 0, warmup: 0, skip: 'skipped: ~140 s per step on the cpu backend (README: 136,638 ms)' },
    {
      backend: 'cpu',
      name: 'resnet18',
      model: resnet,
      steps: 0,
      warmup: 0,
      skip: "skipped: ~74x the ConvNet's FLOPs at batch 128, which already takes ~140 s per step on cpu",
    },
    { backend: 'wasm-stock', name: 'mlp', model: mlp, steps: 3, warmup: 1 },
    { backend: 'wasm-stock', name: 'cnn', model: convnet, steps: 1, warmup: 0 },
    { backend: 'wasm-stock', name: 'resnet18', model: resnet, steps: 0, warmup: 0, skip: 'skipped: stock wasm has no Conv2DBackpropFilter (see the cnn row)' },
    { backend: 'wasm', name: 'mlp', model: mlp, steps, warmup: 2 },
    { backend: 'wasm', name: 'cnn', model: convnet, steps: Math.max(3, Math.ceil(steps / 2)), warmup: 1 },
    { backend: 'wasm', name: 'resnet18', model: resnet, steps: resnetSteps, warmup: 1 },
    { backend: 'webgpu', name: 'mlp', model: mlp, steps, warmup: 2 },
    { backend: 'webgpu', name: 'cnn', model: convnet, steps, warmup: 2 },
    { backend: 'webgpu', name: 'resnet18', model: resnet, steps: resnetSteps, warmup: 1 },
  ];
  let webgpu: string | undefined;
  const stockGradients = REDUCE_GRADIENT_KERNELS.map((n) => tf.getGradient(n)!);
  for (const p of plan) {
    const name = p.name;
    if (p.skip) {
      rows.push({ model: name, backend: p.backend, steps: 0, note: p.skip });
      continue;
    }
    if (p.backend === 'webgpu') {
      if (webgpu === undefined) {
        try {
          await selectBackend('webgpu');
          webgpu = '';
        } catch (e) {
          webgpu = (e as Error).message;
        }
      }
      if (webgpu) {
        rows.push({ model: name, backend: 'webgpu', steps: 0, note: `unavailable: ${webgpu}` });
        continue;
      }
    } else {
      if (p.backend === 'wasm-stock') {
        // selectBackend('wasm') installs clusterflow's kernels; the stock rows must not have them,
        // nor core's Sum/Mean gradients, which any selectBackend (the cpu rows') installed.
        stockGradients.forEach((g) => tf.registerGradient(g));
        await import('@tensorflow/tfjs-backend-wasm');
        await tf.setBackend('wasm');
        await tf.ready();
      } else {
        await selectBackend(p.backend === 'cpu' ? 'cpu' : 'wasm');
      }
      // Registration is one-way in a process, so every wasm-stock row comes before the first wasm row.
      if (p.backend === 'wasm') registerWasmKernels();
    }
    const model = p.model();
    try {
      rows.push(measure(model, p.backend, p.steps, p.warmup));
    } catch (e) {
      rows.push({ model: name, backend: p.backend, steps: 0, note: `fails: ${(e as Error).message.split('\n')[0]}` });
    } finally {
      model.dispose();
    }
  }

  for (const r of rows) {
    const t = torch.get(r.model);
    if (t) r.torchMs = t.ms_median;
    if (t && r.msMedian) r.ratioToTorch = round(t.ms_median / r.msMedian);
  }
  printTable(rows, torch);
  const json = args.json;
  if (json) writeFileSync(json, JSON.stringify({ torch: Object.fromEntries(torch), rows }, null, 2));
}

function printTable(rows: Row[], torch: Map<string, TorchResult>): void {
  const head = ['model', 'backend', 'ms/step', 'img/s', 'GFLOP/s', 'torch2t ms', 'ratio', 'note'];
  const lines = rows.map((r) =>
    [r.model, r.backend, r.msMedian ?? '', r.imagesPerSec ?? '', r.gflops ?? '', r.torchMs ?? '', r.ratioToTorch ?? '', r.note ?? ''].map(String),
  );
  for (const [m, t] of torch) lines.push([m, 'pytorch-2threads', String(t.ms_median), '', String(t.gflops), String(t.ms_median), '1', '']);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (i === 7 ? 0 : l[i].length))));
  const fmt = (l: string[]) => l.map((c, i) => (i === 7 ? c : c.padEnd(widths[i]))).join('  ');
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}

await main();
