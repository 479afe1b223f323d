import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { selectBackend, tf, train, type CompleteEvent, type StepEvent } from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';
import { FMNIST64 } from './support/fixtures.js';

// Every built-in objective, alone and composed, trains a step with every backbone
// through the real loop on 64 real Fashion-MNIST images, and evaluates.

const backbones = [
  { id: 'mlp', options: { featureDim: 32, hidden: [64, 64] } },
  { id: 'convnet', options: { featureDim: 32, channels: [8, 16, 16] } },
  { id: 'resnet18-cifar', options: {} },
];
const objectives: { name: string; parts: { id: string; weight?: number; options?: Record<string, unknown> }[] }[] = [
  { name: 'simclr', parts: [{ id: 'simclr', options: { projectionDim: 16 } }] },
  { name: 'cc', parts: [{ id: 'cc', options: { projectionDim: 16 } }] },
  { name: 'secu', parts: [{ id: 'secu', options: { hidden: 32, dim: 16, numHeads: 2 } }] },
  { name: 'concurl', parts: [{ id: 'concurl', options: { numProjections: 4, projectionHidden: 64, projectionDim: 16, randomDim: 8, exemplarDim: 16 } }] },
  {
    name: 'cc+secu',
    parts: [
      { id: 'cc', options: { projectionDim: 16 } },
      { id: 'secu', weight: 0.5, options: { hidden: 32, dim: 16, numHeads: 2 } },
    ],
  },
];

describe('every objective with every backbone, through train()', function () {
  this.timeout(120000);
  before(async () => {
    await selectBackend('wasm');
  });

  for (const backbone of backbones) {
    for (const objective of objectives) {
      it(`${objective.name} on ${backbone.id}`, async function () {
        const before = tf.memory().numTensors;
        const events = await lastValueFrom(
          train(
            {
              name: `${objective.name}-${backbone.id}`,
              seed: 0,
              backend: 'wasm',
              data: FMNIST64,
              augmentation: { id: 'multi-view', options: { views: 2 } },
              backbone,
              objective: objective.parts,
              numClusters: 10,
              optimizer: { id: 'sgd', options: { lr: 0.01 } },
              train: { epochs: 1, batchSize: 16, maxStepsPerEpoch: backbone.id === 'resnet18-cifar' ? 1 : 2 },
            },
            { registry: defaultRegistry(), logger: { info: () => {}, warn: () => {} } },
          ).pipe(toArray()),
        );
        expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
        const step = events.find((e): e is StepEvent => e.type === 'step')!;
        expect(Number.isFinite(step.loss.total)).to.equal(true);
        const done = events[events.length - 1] as CompleteEvent;
        expect(done.type).to.equal('complete');
        expect(done.summary.readouts[done.summary.mainReadout!]).to.have.length(64);
        expect(done.summary.metrics.acc).to.be.within(0, 1);
      });
    }
  }
});
