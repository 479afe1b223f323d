/**
 * Training-step throughput and memory on wasm with clusterflow's kernels and
 * the @clusterflow/native ones (what `selectBackend('wasm')` sets up), beside
 * PyTorch on 2 threads, in one invocation: for each model, the median ratio of
 * throughputs over paired steps, and the peak memory of a step on both sides.
 *
 *   npx tsx --conditions=source tools/speed/throughput-native.ts [--steps 10] [--json out.json]
 *     [--resnet-steps 3] [--resnet-batch 128] [--no-resnet] [--no-torch]
 *     [--without native|matmul|conv|batchNorm|biasRelu|reduce|reduceGradients|maxPoolGrad|sharedIdentity,...]
 *
 * Models: MLP and ConvNet (../shared/bench/torch_steps.py) and ResNet-18 with
 * the CIFAR stem at its reference batch, 128 (torch_resnet18.py); see models.ts.
 * The two sides take turns, a few steps each (torch_stepper.py, kept running),
 * so both see the same load: on a shared machine the load moves PyTorch's own
 * step time by 2x within a minute. ratio = PyTorch ms / TF.js ms, the median
 * over the turns (see measure()); --steps is the timed steps of each side for
 * the MLP and the ConvNet.
 *
 * --without leaves kernels out, one process per choice (registration is
 * one-way), to measure what each is worth: `native` runs without the addon;
 * `matmul`, `conv`, `batchNorm` (the fused training BatchNorm), `reduce` (Sum
 * and Mean), `maxPoolGrad` leave one group of native kernels out;
 * `sharedIdentity` puts back the stock Identity and Cast, which copy;
 * `reduceGradients` keeps TF.js's own Sum and Mean gradients (selectBackend
 * installs core's, as setUp does here).
 *
 * Both sides get OpenBLAS's best kernels for this CPU: where the user has not
 * set OPENBLAS_CORETYPE, PyTorch's process gets the core the addon's loader
 * chose (@clusterflow/native's core-choice.js; none where OpenBLAS's own pick is
 * right). The header says the CPU, the load and each side's BLAS core;
 * --json writes all of it and the rows to a file.
 *
 * Memory: ResNet-18 runs first on both sides, so each process's peak RSS
 * before its first step and after its last bound what the steps needed
 * ("RSS growth"). `tensors` is the peak of TF.js's live tensor buffers during
 * the steps (shared data once), `heap` the wasm heap's size, its high-water mark.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { tf, registerWasmKernels } from '@clusterflow/core';
import { loadNativeAddon, tryRegisterNativeKernels, type NativeKernelChoice } from '../../packages/core/src/kernels/native-matmul.js';
import { registerReduceGradients } from '../../packages/core/src/kernels/reduce_gradients.js';
import { convnet, mlp, resnet18, RESNET_BENCH_BATCH, trainStep, type BenchModel } from './models.js';
import { MiB, peakRssBytes, trackWasmTensorBytes, wasmHeapBytes, type TensorBytes } from './memory.js';
import { TorchStepper } from './torch-ref.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '10' },
    'resnet-steps': { type: 'string', default: '3' },
    'resnet-batch': { type: 'string', default: String(RESNET_BENCH_BATCH) },
    'no-resnet': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    without: { type: 'string', default: '' },
    json: { type: 'string' },
  },
});
const steps = Number(args.steps);
/** Steps per turn for the MLP and the ConvNet, the first untimed: --steps timed steps make steps / 2 turns. */
const BLOCK = 3;
const rounds = Math.max(1, Math.ceil(steps / (BLOCK - 1)));
const resnetSteps = Number(args['resnet-steps']);
const resnetBatch = Number(args['resnet-batch']);
const withResnet = !args['no-resnet'];
const WITHOUT = ['native', 'matmul', 'conv', 'batchNorm', 'biasRelu', 'reduce', 'maxPoolGrad', 'sharedIdentity', 'reduceGradients'] as const;
const without = new Set(args.without.split(',').filter(Boolean));
for (const w of without) if (!(WITHOUT as readonly string[]).includes(w)) throw new Error(`--without: unknown ${w} (one of ${WITHOUT.join(', ')})`);

/** The wasm backend as selectBackend('wasm') sets it up, less what --without names; says what it installed. */
async function setUp(): Promise<string> {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const stock = ['Identity', 'Cast'].map((k) => tf.getKernel(k, 'wasm')!);
  registerWasmKernels();
  if (!without.has('reduceGradients')) registerReduceGradients();
  let installed = 'clusterflow wasm kernels, no native addon';
  if (!without.has('native')) {
    const choice: NativeKernelChoice = {};
    for (const k of ['matmul', 'conv', 'batchNorm', 'biasRelu', 'reduce', 'maxPoolGrad'] as const) choice[k] = !without.has(k);
    const r = await tryRegisterNativeKernels(choice);
    installed = r.used ? r.reason : `native NOT used: ${r.reason}`;
  }
  // Last: registering the native kernels installs clusterflow's wasm kernels first, the shared Identity among them.
  if (without.has('sharedIdentity')) {
    for (const k of stock) {
      tf.unregisterKernel(k.kernelName, 'wasm');
      tf.registerKernel(k);
    }
  }
  return installed;
}

interface Row {
  model: string;
  batch: number;
  gflop: number;
  /** Medians over the paired steps: TF.js ms, PyTorch ms, and PyTorch ms / TF.js ms. */
  ms?: number;
  torchMs?: number;
  ratio?: number;
  torchGflop?: number;
  error?: string;
  /** Peak of the live tensor buffers during the steps. */
  tensorsMiB?: number;
  /** The wasm heap's size after the steps, and each process's peak RSS growth over them (first model only). */
  heapMiB?: number;
  rssGrowthMiB?: number;
  torchRssGrowthMiB?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Set once the wasm module aborts (out of memory): it cannot run anything after that. */
let aborted: string | undefined;

/**
 * `rounds` of `block` TF.js steps then `block` PyTorch steps, after `warmup`
 * untimed steps on each side; with blocks of several steps, each block's first
 * step is untimed too, so every timed step follows one of its own side, as in
 * a training loop (PyTorch's OpenBLAS threads spin ~0.1 s after each product,
 * so a step right after the other side's runs against them or with them cold).
 * The ratio of a round is PyTorch's median over TF.js's; the row gives the
 * median over rounds. `first` (each process's first model) also records RSS
 * and heap.
 */
async function measure(
  name: string,
  make: () => BenchModel,
  rounds: number,
  block: number,
  warmup: number,
  torch: TorchStepper | undefined,
  tensors: TensorBytes,
  first: boolean,
): Promise<Row> {
  if (aborted) return { model: name, batch: 0, gflop: 0, error: `not run: the wasm module aborted in ${aborted}` };
  const rssBefore = peakRssBytes();
  let model: BenchModel | undefined;
  try {
    model = make();
    const { batch } = model;
    tensors.resetPeak();
    for (let i = 0; i < warmup; i++) trainStep(model);
    // Its first step builds the model and runs an untimed one: PyTorch's warm-up.
    const torchFirst = await torch?.step(name, batch);
    const ms: number[] = [],
      torchMs: number[] = [],
      ratios: number[] = [];
    const untimed = block > 1 ? 1 : 0;
    for (let r = 0; r < rounds; r++) {
      const mine: number[] = [],
        theirs: number[] = [];
      for (let i = 0; i < block; i++) {
        const t0 = performance.now();
        trainStep(model);
        if (i >= untimed) mine.push(performance.now() - t0);
      }
      for (let i = 0; torch && i < block; i++) {
        const t = (await torch.step(name, batch)).ms;
        if (i >= untimed) theirs.push(t);
      }
      ms.push(...mine);
      torchMs.push(...theirs);
      if (torch) ratios.push(median(theirs) / median(mine));
    }
    const torchLast = torch && (await torch.step(name, batch));
    console.log(`${name} (batch ${batch}): TF.js ${ms.map((t) => t.toFixed(1)).join(' ')} ms | PyTorch ${torchMs.join(' ')} ms`);
    return {
      model: name,
      batch,
      gflop: model.flopsPerStep / 1e9,
      ms: round(median(ms)),
      ...(torch ? { torchMs: round(median(torchMs)), ratio: round(median(ratios)), torchGflop: torchFirst!.gflop_per_step } : {}),
      tensorsMiB: round(tensors.peak() / MiB),
      ...(first ? { heapMiB: round(wasmHeapBytes() / MiB), rssGrowthMiB: round((peakRssBytes() - rssBefore) / MiB) } : {}),
      ...(first && torchFirst?.rss_before_mib !== undefined ? { torchRssGrowthMiB: round(torchLast!.rss_mib - torchFirst.rss_before_mib) } : {}),
    };
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    if (message.startsWith('Aborted(')) {
      aborted = name;
      return { model: name, batch: model?.batch ?? 0, gflop: 0, error: `${message} (out of wasm memory)` };
    }
    return { model: name, batch: model?.batch ?? 0, gflop: 0, error: message };
  } finally {
    if (!aborted) model?.dispose();
  }
}

/** "AMD EPYC (AuthenticAMD family 26 model 2)": the model name, and on Linux the family and model OpenBLAS decides by. */
function cpuName(): string {
  const name = cpus()[0]?.model.trim() ?? 'unknown CPU';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k: string) => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1].trim();
    return `${name} (${field('vendor_id')} family ${field('cpu family')} model ${field('model')}), ${cpus().length} cores`;
  } catch {
    return `${name}, ${cpus().length} cores`;
  }
}

const loadAvg = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const startedAt = new Date().toISOString(),
  loadBefore = loadAvg();
// The addon first: its loader decides the core, and PyTorch's process gets the same decision.
const addon = await loadNativeAddon();
const userCore = process.env.OPENBLAS_CORETYPE;
const torchEnv: Record<string, string> = !userCore && addon.openblas?.chosen ? { OPENBLAS_CORETYPE: addon.openblas.chosen } : {};
const torchCoreRule = userCore
  ? `the user's OPENBLAS_CORETYPE=${userCore}`
  : torchEnv.OPENBLAS_CORETYPE
    ? `OPENBLAS_CORETYPE=${torchEnv.OPENBLAS_CORETYPE}, as the addon's loader chose`
    : addon.available
      ? "nothing set: OpenBLAS's own pick, as for the addon"
      : `nothing set (the addon is not there: ${addon.reason})`;
const torch = args['no-torch'] ? undefined : await TorchStepper.start(torchEnv);
const kernels = await setUp();
const header = {
  date: startedAt,
  cpu: cpuName(),
  tfjsBlas: addon.available ? (addon.openblas?.summary ?? addon.config ?? 'unknown') : `none: ${addon.reason}`,
  torch: torch?.ready,
  torchBlas: torch?.blas,
  torchCoreRule,
  kernels: `${kernels}${without.size ? ` (without ${[...without].join(', ')})` : ''}`,
};
console.log(`CPU: ${header.cpu}; load average ${loadBefore}`);
console.log(`TF.js BLAS: ${header.tfjsBlas}`);
if (torch) console.log(`PyTorch (${torch.ready}) BLAS: ${torch.blas} [${torchCoreRule}]`);
console.log(`kernels: ${header.kernels}`);
const tensors = trackWasmTensorBytes();
const rows: Row[] = [];
// ResNet-18 first: each process's RSS before it is then the runtime and the model alone.
// ResNet-18 steps take seconds, against ~0.1 s of spinning: blocks of one step.
if (withResnet) rows.push(await measure('resnet18', () => resnet18(resnetBatch), resnetSteps, 1, 1, torch, tensors, true));
rows.push(await measure('mlp', mlp, rounds, BLOCK, 2, torch, tensors, !withResnet));
rows.push(await measure('cnn', convnet, rounds, BLOCK, 2, torch, tensors, false));
torch?.close();

const loadAfter = loadAvg();
console.log(`\n${new Date().toISOString()}  load average ${loadBefore} before, ${loadAfter} after`);
console.log('model     batch  GFLOP/step  TF.js ms  GFLOP/s  PyTorch ms  ratio  | TF.js MiB: tensors    heap  RSS growth | PyTorch MiB: RSS growth');
for (const r of rows) {
  const flops = r.torchGflop !== undefined && Math.abs(r.torchGflop - r.gflop) > 1e-3 ? ` (PyTorch counts ${r.torchGflop}: DIFFERENT)` : '';
  const cells = r.error
    ? [`fails: ${r.error}`]
    : [
        r.gflop.toFixed(3).padStart(10),
        String(r.ms).padStart(8),
        ((r.gflop / r.ms!) * 1e3).toFixed(1).padStart(7),
        String(r.torchMs ?? '-').padStart(10),
        String(r.ratio ?? '-').padStart(5),
        ` | ${String(r.tensorsMiB).padStart(17)}  ${String(r.heapMiB ?? '').padStart(6)}  ${String(r.rssGrowthMiB ?? '').padStart(10)}`,
        ` | ${String(r.torchRssGrowthMiB ?? '').padStart(23)}${flops}`,
      ];
  console.log([r.model.padEnd(8), String(r.batch).padStart(5), ...cells].join('  '));
}

if (args.json) {
  // Written whole, then renamed: a reader never sees half a file.
  const json = { ...header, loadBefore, loadAfter, end: new Date().toISOString(), rows };
  writeFileSync(`${args.json}.tmp`, JSON.stringify(json, null, 2) + '\n');
  renameSync(`${args.json}.tmp`, args.json);
  console.log(`wrote ${args.json}`);
}
