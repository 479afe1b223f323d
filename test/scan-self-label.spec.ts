import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { selectBackend, tf, train, type CompleteEvent, type RunConfigInput, type TrainEvent } from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';
import { FMNIST64 } from './support/fixtures.js';

// scan and self-label as a run's only objective (and scan in a composition),
// through train() on the MLP and 64 real Fashion-MNIST images: scan mines once
// and reports its kNN purity each epoch; self-label trains on a weak and a strong
// view (multi-view pipelines) and reports its pseudo-label counts.

async function run(name: string, over: Partial<RunConfigInput>): Promise<{ events: TrainEvent[]; log: string[] }> {
  const log: string[] = [];
  const events = await lastValueFrom(
    train(
      {
        name,
        seed: 0,
        backend: 'wasm',
        data: FMNIST64,
        backbone: { id: 'mlp', options: { featureDim: 32, hidden: [64, 64] } },
        numClusters: 10,
        optimizer: { id: 'sgd', options: { lr: 0.01 } },
        train: { epochs: 2, batchSize: 16, maxStepsPerEpoch: 2 },
        ...over,
      } as RunConfigInput,
      { registry: defaultRegistry(), logger: { info: (m) => log.push(m), warn: (m) => log.push(m) } },
    ).pipe(toArray()),
  );
  return { events, log };
}

const epochEnds = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'epoch-end' ? [e] : []));
const steps = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e] : []));

describe('scan and self-label through train()', function () {
  this.timeout(120000);
  before(async () => {
    await selectBackend('wasm');
  });

  it('scan alone, on one strong view: mines once, reports kNN purity and the best head, reads out every head', async () => {
    const before = tf.memory().numTensors;
    const { events, log } = await run('scan', {
      augmentation: { id: 'multi-view', options: { views: 1, transforms: 'strong' } },
      objective: [{ id: 'scan', options: { numHeads: 3, k: 5 } }],
    });
    expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
    expect(log.filter((m) => m.includes('mined the 5 nearest neighbours of 64 samples'))).to.have.length(1);
    for (const s of steps(events)) {
      expect(Object.keys(s.loss)).to.deep.equal(['total', 'consistency', 'entropy']);
      for (const v of Object.values(s.loss)) expect(Number.isFinite(v)).to.equal(true);
    }
    const ends = epochEnds(events);
    expect(ends).to.have.length(2);
    const purity = ends.map((e) => e.metrics.knnPurity);
    expect(purity[0]).to.be.within(0, 1);
    expect(purity[1], 'the neighbours of epoch 0, not mined again').to.equal(purity[0]);
    for (const e of ends) expect(e.metrics.bestHead).to.be.oneOf([0, 1, 2]);
    const done = events[events.length - 1] as CompleteEvent;
    expect(done.summary.mainReadout).to.equal('cluster');
    expect(Object.keys(done.summary.readouts)).to.deep.equal(['cluster', 'head0', 'head1', 'head2']);
    expect(done.summary.readouts.cluster).to.deep.equal(done.summary.readouts[`head${ends[1].metrics.bestHead}`]);
    expect(done.summary.metrics.acc).to.be.within(0, 1);
  });

  it('self-label alone, on a weak view 0 and a strong view 1, with an EMA teacher', async () => {
    const before = tf.memory().numTensors;
    const { events } = await run('self-label', {
      augmentation: { id: 'multi-view', options: { pipelines: ['weak', 'strong'] } },
      objective: [{ id: 'self-label', options: { teacherDecay: 0.99 } }],
    });
    expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
    for (const s of steps(events)) expect(Number.isFinite(s.loss.crossEntropy)).to.equal(true);
    for (const e of epochEnds(events)) {
      expect(e.metrics.confidentFraction).to.be.within(0, 1);
      // A fresh head is confident nowhere: every class falls back to its top rows.
      expect(e.metrics.selectedFraction).to.be.above(0);
      expect(e.metrics.fallbackClasses).to.equal(10);
    }
    const done = events[events.length - 1] as CompleteEvent;
    expect(Object.keys(done.summary.readouts)).to.deep.equal(['cluster', 'teacher']);
  });

  it('scan in a composition with cc: the companions serve scan, both train', async () => {
    const before = tf.memory().numTensors;
    const { events } = await run('cc+scan', {
      augmentation: { id: 'multi-view', options: { views: 2 } },
      objective: [
        { id: 'cc', options: { projectionDim: 16 } },
        { id: 'scan', weight: 0.5, options: { numHeads: 2, k: 5 } },
      ],
      train: { epochs: 1, batchSize: 16, maxStepsPerEpoch: 2 },
    });
    expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
    const [first] = steps(events);
    expect(Object.keys(first.loss)).to.include.members(['cc/instance', 'scan/consistency', 'scan/entropy']);
    expect(epochEnds(events)[0].metrics['scan/knnPurity']).to.be.within(0, 1);
  });
});
