/**
 * Where a training step's time goes, kernel by kernel, on wasm as
 * selectBackend('wasm') sets it up (the native kernels included): tf.profile
 * over a few steps of each model, kernels summed by name, biggest first.
 * The wasm backend times a kernel as the wall time of its call, so the figures
 * hold for synchronous kernels (all of them here); the engine's own overhead
 * (tape, allocation, disposal) is the step's time less the kernels' sum.
 *
 *   npx tsx --conditions=source tools/speed/profile-kernels.ts [--steps 5] [--models mlp,cnn]
 */
import { parseArgs } from 'node:util';
import { selectBackend, tf } from '@clusterflow/core';
import { convnet, mlp, resnet18, trainStep, type BenchModel } from './models.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    models: { type: 'string', default: 'mlp,cnn' },
  },
});
const steps = Number(args.steps);
const MODELS: Record<string, () => BenchModel> = { mlp, cnn: convnet, resnet18: () => resnet18(32) };

console.log((await selectBackend('wasm')).summary);
for (const name of args.models.split(',')) {
  const make = MODELS[name];
  if (!make) throw new Error(`--models: unknown ${name} (one of ${Object.keys(MODELS).join(', ')})`);
  const model = make();
  for (let i = 0; i < 2; i++) trainStep(model);
  const t0 = performance.now();
  const info = await tf.profile(() => {
    for (let i = 0; i < steps; i++) trainStep(model);
  });
  const stepMs = (performance.now() - t0) / steps;
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs) || 0;
    e.calls++;
    byName.set(k.name, e);
  }
  const total = [...byName.values()].reduce((s, e) => s + e.ms, 0) / steps;
  console.log(`\n${name} (batch ${model.batch}): ${stepMs.toFixed(1)} ms a step under the profiler, kernels ${total.toFixed(1)} ms`);
  for (const [k, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${k.padEnd(34)} ${(e.ms / steps).toFixed(2).padStart(8)} ms  ${(e.calls / steps).toFixed(0).padStart(4)} calls`);
  }
  model.dispose();
}
