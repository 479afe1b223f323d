/**
 * The PyTorch references of the throughput benches, run on 2 threads in the
 * same invocation: ../shared/bench/torch_steps.py (MLP, ConvNet; in the shared
 * folder beside the repository's root, not part of the repository) and this
 * folder's torch_resnet18.py (ResNet-18, CIFAR stem). Both print one JSON line
 * per model: {"model", "ms_median", "gflops", "gflop_per_step", ...}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root: this file is packages/core/bench/torch-ref.ts. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** `../shared/bench/torch_steps.py`, beside the repository's root. */
export const TORCH_STEPS = fileURLToPath(new URL('../../../../shared/bench/torch_steps.py', import.meta.url));
export const TORCH_RESNET18 = fileURLToPath(new URL('./torch_resnet18.py', import.meta.url));

export interface TorchResult { model: string; ms_median: number; gflops: number; gflop_per_step: number }

/** Runs one reference script with --threads 2, the given steps and any further arguments; its results by model name. */
export function runTorch(script: string, steps: number, warmup: number, extra: string[] = []): Map<string, TorchResult> {
  if (!existsSync(script)) {
    const where = script === TORCH_STEPS ? ` (it lives in ../shared/bench/, beside the repository's root ${REPO_ROOT})` : '';
    throw new Error(`PyTorch reference script not found: ${script}${where}; pass --no-torch to run without the PyTorch rows`);
  }
  const r = spawnSync('/usr/bin/python3', [script, '--threads', '2', '--steps', String(steps), '--warmup', String(warmup), ...extra], {
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, encoding: 'utf8',
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
