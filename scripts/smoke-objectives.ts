// Trains each built-in objective for a few steps on the bundled Fashion-MNIST split
// and prints step and evaluation times: a quick integration check, not a benchmark.
import { createRegistry, train, type TrainEvent } from '@clusterflow/core';
import { register as data } from '@clusterflow/data';
import { register as backbones } from '@clusterflow/backbones';
import { register as evaluation } from '@clusterflow/eval';
import { register as objectives } from '@clusterflow/objectives';
import { lastValueFrom, tap, toArray } from 'rxjs';

const registry = createRegistry();
for (const [name, reg] of Object.entries({ data, backbones, evaluation, objectives })) reg(registry.registrar(name));
const ids = process.argv.slice(2).length ? process.argv.slice(2) : ['simclr', 'cc', 'secu', 'concurl'];
for (const id of ids) {
  const t0 = performance.now();
  let firstEpochEnd = 0;
  const events: TrainEvent[] = await lastValueFrom(
    train(
      {
        name: id,
        seed: 0,
        backend: 'wasm',
        data: { id: 'fashion-mnist', options: {} },
        augmentation: { id: 'multi-view', options: { views: 2 } },
        backbone: { id: 'mlp', options: { featureDim: 128 } },
        objective: [{ id }],
        optimizer: { id: 'adam', options: { lr: 1e-3 } },
        train: { epochs: 1, batchSize: 256, maxStepsPerEpoch: 4 },
      },
      { registry },
    ).pipe(
      tap((e) => {
        if (e.type === 'step') console.log(id, 'step', e.step, JSON.stringify(e.loss), `${e.imagesPerSec.toFixed(0)} img/s`);
        if (e.type === 'epoch-end') firstEpochEnd = performance.now();
      }),
      toArray(),
    ),
  );
  const done = events[events.length - 1];
  if (done.type === 'complete')
    console.log(
      id,
      'metrics',
      JSON.stringify(done.summary.metrics),
      'total s',
      ((performance.now() - t0) / 1000).toFixed(1),
      'epoch-end at s',
      ((firstEpochEnd - t0) / 1000).toFixed(1),
    );
}
