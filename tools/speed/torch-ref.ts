/**
 * The PyTorch references of the throughput benches, run on 2 threads in the
 * same invocation: ../shared/bench/torch_steps.py (MLP, ConvNet; in the shared
 * folder beside the repository's root, not part of the repository) and this
 * folder's torch_resnet18.py (ResNet-18, CIFAR stem). Both print one JSON line
 * per model: {"model", "ms_median", "gflops", "gflop_per_step", ...}.
 * torch_stepper.py steps the same models one step at a time, on request
 * (TorchStepper), with the process's peak memory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository's root: this file is tools/speed/torch-ref.ts. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** `../shared/bench/torch_steps.py`, beside the repository's root. */
export const TORCH_STEPS = fileURLToPath(new URL('../../../shared/bench/torch_steps.py', import.meta.url));
export const TORCH_RESNET18 = fileURLToPath(new URL('./torch_resnet18.py', import.meta.url));
export const TORCH_STEPPER = fileURLToPath(new URL('./torch_stepper.py', import.meta.url));
/**
 * PyTorch on 2 threads whose OpenMP workers sleep between steps rather than spin against TF.js's,
 * with glibc's malloc keeping freed memory (what jemalloc or tcmalloc, which PyTorch's performance
 * guide recommends, do). By default glibc hands each step's large tensors back to the system and
 * the next step faults them in again: on this workplace's VM that made PyTorch's step 1.3-3x
 * slower, by an amount that moved with the host (ConvNet 56-176 ms a step, 44 steady with these
 * settings; 276k page faults in 50 steps against 73k), and made the ratios flatter us.
 */
const TORCH_ENV = {
  ...process.env,
  OMP_WAIT_POLICY: 'PASSIVE',
  // OpenBLAS's own worker threads (PyTorch's matrix products run on them) spin for about 2^28
  // cycles, some 0.1 s, after each product before they sleep: into the next turn of TF.js's
  // steps, on one of the 2 cores. That put our MLP step at 19-21 ms in the paired timing
  // against 13-14 ms alone; with 2^4 cycles it is 13-14 ms paired, and PyTorch's own step
  // did not move (MLP 18.4 against 19-20 on Haswell, 13.2 against 12.7-15.6 unset).
  OPENBLAS_THREAD_TIMEOUT: '4',
  // Blocks up to 32 MiB (glibc's cap) come from the heap, which is trimmed only past 100 GB free.
  MALLOC_MMAP_THRESHOLD_: String(32 << 20),
  MALLOC_TRIM_THRESHOLD_: String(100e9),
  MALLOC_TOP_PAD_: String(512 << 20),
};

export interface TorchResult {
  model: string;
  ms_median: number;
  gflops: number;
  gflop_per_step: number;
}

/** Runs one reference script with --threads 2, the given steps and any further arguments; its results by model name. */
function requireScript(script: string): void {
  if (!existsSync(script)) {
    const where = script === TORCH_STEPS ? ` (it lives in ../shared/bench/, beside the repository's root ${REPO_ROOT})` : '';
    throw new Error(`PyTorch reference script not found: ${script}${where}; pass --no-torch to run without the PyTorch rows`);
  }
}

export function runTorch(script: string, steps: number, warmup: number, extra: string[] = []): Map<string, TorchResult> {
  requireScript(script);
  const r = spawnSync('/usr/bin/python3', [script, '--threads', '2', '--steps', String(steps), '--warmup', String(warmup), ...extra], {
    env: TORCH_ENV,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr || r.error?.message}`);
  const out = new Map<string, TorchResult>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as TorchResult;
    out.set(j.model, j);
  }
  return out;
}

/** Says whether TF.js and torch count the same FLOPs per step for every model both ran (they must). */
export function checkFlops(models: { name: string; flopsPerStep: number }[], torch: Map<string, TorchResult>): void {
  for (const m of models) {
    const t = torch.get(m.name);
    if (!t) continue;
    const tf = m.flopsPerStep / 1e9;
    const same = Math.abs(tf - t.gflop_per_step) < 1e-3;
    console.log(`FLOPs per step, ${m.name}: TF.js ${tf.toFixed(4)} GFLOP, torch ${t.gflop_per_step} GFLOP${same ? '' : '  <-- DIFFER'}`);
  }
}

/** One PyTorch step from torch_stepper.py. */
export interface TorchStep {
  model: string;
  batch: number;
  ms: number;
  gflop_per_step: number;
  /** The process's peak RSS so far, and (first step of a model only) before that model's first step, MiB. */
  rss_mib: number;
  rss_before_mib?: number;
}

/**
 * torch_stepper.py kept running: one PyTorch step (2 threads) on each call, so
 * a bench can alternate TF.js and PyTorch steps and both see the same load.
 */
export class TorchStepper {
  private readonly lines: AsyncIterator<string>;

  /** torch's version and threads, and its BLAS: "OpenBLAS 0.3.21, core SkylakeX; convolutions: oneDNN v2.6.3". */
  ready = '';
  blas = '';

  private constructor(private readonly proc: ReturnType<typeof spawn>) {
    this.lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  }

  /** `env` goes over the process's own (the bench sets OPENBLAS_CORETYPE there: the same core rule as the addon's). */
  static async start(env: Record<string, string> = {}): Promise<TorchStepper> {
    requireScript(TORCH_STEPS);
    const proc = spawn('/usr/bin/python3', [TORCH_STEPPER, TORCH_STEPS, '--threads', '2'], {
      env: { ...TORCH_ENV, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const stepper = new TorchStepper(proc);
    const ready = (await stepper.next()) as { ready: string; blas?: string };
    stepper.ready = ready.ready;
    stepper.blas = ready.blas ?? 'unknown';
    return stepper;
  }

  /** One timed step of `model` at `batch` (the first call for a model also builds it and runs an untimed step). */
  async step(model: string, batch: number): Promise<TorchStep> {
    this.proc.stdin!.write(`${model} ${batch}\n`);
    return (await this.next()) as TorchStep;
  }

  close(): void {
    this.proc.stdin!.end();
  }

  private async next(): Promise<unknown> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`${TORCH_STEPPER} exited (code ${this.proc.exitCode})`);
    return JSON.parse(value) as unknown;
  }
}
