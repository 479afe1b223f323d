import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  disposeCheckpoint,
  readCheckpoint,
  runTraining,
  selectBackend,
  tf,
  train,
  writeCheckpoint,
  type Hook,
  type RunSummary,
  type TrainEvent,
} from '@clusterflow/core';
import { testConfig, testRegistry } from './support/components.js';
import { expectSameCheckpoints } from './support/checkpoints.js';
import { silentLogger } from './support/run.js';

describe('cancelling and interrupting a run', () => {
  let dir: string;
  before(async () => {
    await selectBackend('cpu');
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-cancel-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runTraining resolves only after cleanup: cancelled at a step boundary, every tensor freed', async () => {
    const before = tf.memory().numTensors;
    const abort = new AbortController();
    const steps: number[] = [];
    const summary = await runTraining(testConfig({ train: { epochs: 50, batchSize: 16 } }), {
      registry: testRegistry(),
      logger: silentLogger,
      signal: abort.signal,
      onEvent: (e) => {
        if (e.type !== 'step') return;
        steps.push(e.step);
        if (e.step === 2) abort.abort();
      },
    });
    expect(summary).to.equal(undefined);
    expect(steps).to.deep.equal([0, 1, 2]);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('unsubscribing from train() cancels, and settled() says when the tensors are freed', async () => {
    const before = tf.memory().numTensors;
    const run = train(testConfig({ train: { epochs: 50, batchSize: 16 } }), { registry: testRegistry(), logger: silentLogger });
    const steps: number[] = [];
    const sub = run.subscribe((e) => {
      if (e.type !== 'step') return;
      steps.push(e.step);
      if (e.step === 2) sub.unsubscribe();
    });
    await run.settled();
    expect(steps).to.deep.equal([0, 1, 2]);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('reaches into evaluation: a cancel during it ends the run before the evaluation finishes', async () => {
    const before = tf.memory().numTensors;
    const abort = new AbortController();
    let afterEvaluation = false;
    const hooks: Hook[] = [
      // Runs just before the evaluation hook (priority 10) and cancels.
      { id: 'cancel-now', priority: 5, onEpochEnd: () => abort.abort() },
      { id: 'after-eval', priority: 15, onEpochEnd: () => void (afterEvaluation = true) },
    ];
    const events: TrainEvent[] = [];
    const summary = await runTraining(testConfig({ data: { id: 'blobs', options: { n: 4096 } }, eval: { metrics: ['purity'], batchSize: 64 } }), {
      registry: testRegistry(),
      logger: silentLogger,
      hooks,
      signal: abort.signal,
      onEvent: (e) => events.push(e),
    });
    expect(summary).to.equal(undefined);
    expect(afterEvaluation, 'a hook after the evaluation ran').to.equal(false);
    expect(events.map((e) => e.type)).to.not.include('epoch-end');
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('reaches into checkpoint writes: an aborted write leaves no file, temporary or final', async () => {
    const abort = new AbortController();
    const state = { w: tf.ones([64, 64]) };
    const writing = writeCheckpoint(
      join(dir, 'x.ckpt'),
      { meta: { epoch: 0, step: 0, rng: [1, 2, 3, 4], configHash: 'h', backend: 'cpu', createdAt: '' }, state },
      { signal: abort.signal },
    );
    abort.abort();
    const err = await writing.catch((e: Error) => e);
    state.w.dispose();
    expect(err).to.be.instanceOf(Error).with.property('name', 'AbortError');
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('a stop request (Ctrl-C) ends the run at a step boundary, saves a checkpoint inside the epoch, and resuming it gives the straight run exactly', async () => {
    const registry = testRegistry();
    // 96 samples / 32 = 3 steps an epoch, 3 epochs.
    const straight = testConfig({ train: { epochs: 3, batchSize: 32, checkpointDir: join(dir, 'straight') } });
    await runTraining(straight, { registry, logger: silentLogger });

    const stop = new AbortController();
    const interrupted: RunSummary | undefined = await runTraining(testConfig({ train: { epochs: 3, batchSize: 32, checkpointDir: join(dir, 'cut') } }), {
      registry,
      logger: silentLogger,
      stop: stop.signal,
      onEvent: (e) => {
        if (e.type === 'step' && e.step === 4) stop.abort('interrupted by the user');
      },
    });
    expect(interrupted?.end).to.deep.equal({ kind: 'interrupted', reason: 'interrupted by the user' });
    expect(interrupted?.epochsDone).to.equal(1);
    expect(interrupted?.steps).to.equal(5);
    const cut = await readCheckpoint(join(dir, 'cut', 'last.ckpt'));
    try {
      expect(cut.meta.epoch).to.equal(1);
      expect(cut.meta.stepInEpoch).to.equal(2);
      expect(cut.state['loop/order']).to.be.instanceOf(Int32Array);
    } finally {
      disposeCheckpoint(cut);
    }

    const resumedEvents: TrainEvent[] = [];
    await runTraining(testConfig({ train: { epochs: 3, batchSize: 32, checkpointDir: join(dir, 'resumed'), resume: join(dir, 'cut', 'last.ckpt') } }), {
      registry,
      logger: silentLogger,
      onEvent: (e) => resumedEvents.push(e),
    });
    expect(resumedEvents.filter((e) => e.type === 'step').map((e) => (e as { step: number }).step)).to.deep.equal([5, 6, 7, 8]);

    await expectSameCheckpoints(join(dir, 'straight', 'epoch-0003.ckpt'), join(dir, 'resumed', 'epoch-0003.ckpt'));
  });
});
