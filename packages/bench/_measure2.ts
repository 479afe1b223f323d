// Temporary measurement (not part of the change): cc -> scan -> self-label on the bundled Fashion-MNIST 10k split.
import { lastValueFrom, toArray } from 'rxjs';
import { Registry, train, type TrainEvent } from '@clusterflow/core';
import { register as registerData } from '@clusterflow/data';
import { register as registerBackbones } from '@clusterflow/backbones';
import { register as registerEval } from '@clusterflow/eval';
import { register as registerObjectives } from '@clusterflow/objectives';
const r = new Registry();
for (const [n, reg] of Object.entries({ registerData, registerBackbones, registerEval, registerObjectives })) reg(r.registrar(`builtin:${n}`));
const [ccEpochs, scanEpochs, slEpochs] = (process.argv[2] ?? '10,5,5').split(',').map(Number);
const t0 = performance.now();
const events: TrainEvent[] = await lastValueFrom(train({
  name: 'staged', seed: 0, backend: 'wasm',
  data: { id: 'fashion-mnist', options: { split: 'test' } },
  backbone: { id: 'mlp', options: { featureDim: 128, hidden: [500, 500, 2000], batchNorm: true } },
  optimizer: { id: 'adam', options: { lr: 0.0003 } },
  train: { epochs: ccEpochs, batchSize: 256, logEvery: process.env.STEPS ? 1 : 1000 },
  eval: { every: 1, metrics: ['acc', 'nmi', 'ari'] },
  stages: [
    { name: 'cc', objective: [{ id: 'cc' }], augmentation: { id: 'multi-view', options: { views: 2 } } },
    { name: 'scan', objective: [{ id: 'scan', options: JSON.parse(process.env.SCAN ?? '{}') }], augmentation: { id: 'multi-view', options: { views: 1, transforms: process.env.SCAN_AUG ?? 'strong' } }, optimizer: { id: 'adam', options: { lr: Number(process.env.SCAN_LR ?? 0.0001), weightDecay: 0.0001 } }, train: { epochs: scanEpochs }, ...(process.env.SCAN_HEAD ? { head: 'previous' } : {}) },
    { name: 'self-label', objective: [{ id: 'self-label' }], augmentation: { id: 'multi-view', options: { pipelines: ['weak', process.env.SL_AUG ?? 'strong'] } }, optimizer: { id: 'adam', options: { lr: 0.0001, weightDecay: 0.0001 } }, train: { epochs: slEpochs }, head: 'previous' },
  ],
} as never, { registry: r, logger: { info: (m) => console.log(m), warn: () => {} } }).pipe(toArray()));
for (const e of events) {
  if (e.type === 'step' && process.env.STEPS && e.epoch >= ccEpochs && e.stepInEpoch < 12) console.log('step', e.step, JSON.stringify(e.loss));
  if (e.type === 'epoch-end') {
    const m = e.metrics;
    const extra = Object.entries(m).filter(([k]) => !k.includes('/') && !['acc', 'nmi', 'ari'].includes(k)).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ');
    console.log(`epoch ${e.epoch} ${e.seconds.toFixed(1)}s acc ${m.acc?.toFixed(3)} nmi ${m.nmi?.toFixed(3)} ari ${m.ari?.toFixed(3)} loss ${e.loss.total.toFixed(3)} ${extra}`);
  }
}
console.log(`wall ${((performance.now() - t0) / 1000).toFixed(0)} s`);
