import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import {
  ConfigError,
  NonFiniteLossError,
  UnknownComponentError,
  selectBackend,
  tf,
  train,
  type CompleteEvent,
  type StepEvent,
  type TrainEvent,
} from '@clusterflow/core';
import { testConfig, testRegistry } from './support/components.js';
import { expectSameCheckpoints } from './support/checkpoints.js';
import { runAll, runError, silentLogger } from './support/run.js';

describe('train()', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('emits run-start, steps, epoch ends and complete, in order, with the backend recorded', async () => {
    const events = await runAll(testConfig(), testRegistry());
    const types = events.map((e) => e.type);
    expect(types[0]).to.equal('run-start');
    expect(types[types.length - 1]).to.equal('complete');
    expect(types.filter((t) => t === 'step')).to.have.length(6); // 96 / 32 = 3 steps x 2 epochs
    expect(types.filter((t) => t === 'epoch-end')).to.have.length(2);
    const start = events[0];
    if (start.type !== 'run-start') throw new Error('no run-start');
    expect(start.backend).to.equal('cpu');
    expect(start.config.train.batchSize).to.equal(32);
    const step = events.find((e): e is StepEvent => e.type === 'step')!;
    expect(step.loss).to.have.keys('total', 'assign', 'agree');
    expect(step.loss.total).to.be.closeTo(step.loss.assign + step.loss.agree, 1e-4);
    expect(step.imagesPerSec).to.be.greaterThan(0);
    const done = events[events.length - 1] as CompleteEvent;
    expect(done.summary.metrics.purity).to.be.within(0, 1);
    expect(done.summary.readouts.argmin).to.have.length(96);
    expect(done.summary.clusterSizes.argmin.reduce((a, b) => a + b)).to.equal(96);
  });

  it('is cold: nothing runs before subscription', async () => {
    const before = tf.memory().numTensors;
    train(testConfig(), { registry: testRegistry() });
    await new Promise((r) => setTimeout(r, 50));
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('leaves tf.memory().numTensors unchanged by steps, an epoch and a whole run', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const epochCounts: number[] = [];
    await new Promise<void>((resolve, reject) =>
      train(testConfig({ train: { epochs: 3, batchSize: 16 } }), { registry: testRegistry(), logger: silentLogger }).subscribe({
        next: (e) => {
          if (e.type === 'step') counts.push(tf.memory().numTensors);
          if (e.type === 'epoch-end') epochCounts.push(tf.memory().numTensors);
        },
        error: reject,
        complete: resolve,
      }),
    );
    // Optimizer slots are created at the first step; from then on every step ends where it began.
    expect(new Set(counts.slice(1)).size, `tensors per step: ${counts}`).to.equal(1);
    expect(new Set(epochCounts).size, `tensors per epoch: ${epochCounts}`).to.equal(1);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('errors the stream on a NaN loss, naming the objective, the part and the step, and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const err = await runError(testConfig({ objective: [{ id: 'prototypes', options: { nanAtStep: 4 } }] }), testRegistry());
    expect(err).to.be.instanceOf(NonFiniteLossError);
    expect(err.message).to.contain("objective 'prototypes'").and.contain("'total'").and.contain('step 4');
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('names the objective and part of a NaN inside a composition', async () => {
    const err = (await runError(
      testConfig({
        objective: [
          { id: 'prototypes', name: 'a' },
          { id: 'prototypes', name: 'b', weight: 0.5, options: { nanAtStep: 1 } },
        ],
      }),
      testRegistry(),
    )) as NonFiniteLossError;
    expect(err).to.be.instanceOf(NonFiniteLossError);
    expect(err.objective).to.equal('b');
    expect(err.step).to.equal(1);
  });

  it('reports every part of a composition by name, with the weighted total', async () => {
    const events = await runAll(
      testConfig({
        train: { epochs: 1, batchSize: 32 },
        objective: [
          { id: 'prototypes', name: 'a' },
          { id: 'prototypes', name: 'b', weight: 0.5 },
        ],
      }),
      testRegistry(),
    );
    const step = events.find((e): e is StepEvent => e.type === 'step')!;
    expect(step.loss).to.have.keys('total', 'a', 'a/assign', 'a/agree', 'b', 'b/assign', 'b/agree');
    expect(step.loss.total).to.be.closeTo(step.loss.a + 0.5 * step.loss.b, 1e-4);
    const done = events[events.length - 1] as CompleteEvent;
    expect(done.summary.readouts).to.have.keys('a/argmin', 'b/argmin');
  });

  it('refuses an invalid config with the field, the value and what is allowed', async () => {
    const err = await runError(testConfig({ train: { epochs: 0, batchSize: 'big' } }), testRegistry());
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.contain('train.epochs').and.contain('train.batchSize').and.contain('"big"');
  });

  it('refuses eval.knnPurity where no k-NN service is registered, before anything trains', async () => {
    const err = await runError(testConfig({ eval: { metrics: ['purity'], knnPurity: 5 } }), testRegistry());
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.contain('eval.knnPurity').and.contain('@clusterflow/eval');
  });

  it('refuses an unknown backend before anything is built, listing the registered ones', async () => {
    const err = await runError(testConfig({ backend: 'tpu' }), testRegistry());
    expect(err).to.be.instanceOf(UnknownComponentError);
    expect(err.message).to.contain("unknown backend 'tpu'").and.contain('wasm (builtin:@clusterflow/core)');
  });

  it('refuses bad component options through the component schema, naming the component', async () => {
    const err = await runError(testConfig({ backbone: { id: 'linear', options: { dim: 4, depth: 3 } } }), testRegistry());
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.contain("backbone 'linear'").and.contain('depth');
  });

  it('refuses an unknown component, listing what is registered', async () => {
    const err = await runError(testConfig({ objective: [{ id: 'secuu' }] }), testRegistry());
    expect(err).to.be.instanceOf(UnknownComponentError);
    expect(err.message).to.contain("unknown objective 'secuu'").and.contain('prototypes (core-test)');
  });

  it('freezes the backbone and groups that follow it while backboneLrScale is 0', async () => {
    const { buildRun, readCheckpoint, disposeCheckpoint, parseRunConfig, resolveRunConfig } = await import('@clusterflow/core');
    const dir = await mkdtemp(join(tmpdir(), 'cf-freeze-'));
    try {
      const registry = testRegistry();
      const cfg = testConfig({
        objective: [{ id: 'prototypes', options: { freezeEpoch0: true } }],
        train: { epochs: 2, batchSize: 32, checkpointDir: dir, checkpointEvery: 1 },
      });
      await runAll(cfg, registry);
      const init = await buildRun(resolveRunConfig(parseRunConfig(cfg), registry), registry, '.');
      const after0 = await readCheckpoint(join(dir, 'epoch-0001.ckpt'));
      const after1 = await readCheckpoint(join(dir, 'epoch-0002.ckpt'));
      try {
        const initW = init.backbone.getState().weight.dataSync();
        const initP = (init.objective.getState().prototypes as tf.Tensor).dataSync();
        expect(Array.from((after0.state['backbone/weight'] as tf.Tensor).dataSync())).to.deep.equal(Array.from(initW));
        expect(Array.from((after0.state['objective/prototypes'] as tf.Tensor).dataSync())).to.deep.equal(Array.from(initP));
        expect(Array.from((after1.state['backbone/weight'] as tf.Tensor).dataSync())).to.not.deep.equal(Array.from(initW));
        expect(Array.from((after1.state['objective/prototypes'] as tf.Tensor).dataSync())).to.not.deep.equal(Array.from(initP));
      } finally {
        disposeCheckpoint(after0);
        disposeCheckpoint(after1);
        init.objective.dispose();
        init.backbone.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is reproducible: the same seed gives the same losses and clusters', async () => {
    const a = await runAll(testConfig(), testRegistry());
    const b = await runAll(testConfig(), testRegistry());
    const losses = (ev: typeof a) => ev.filter((e): e is StepEvent => e.type === 'step').map((e) => e.loss.total);
    expect(losses(a)).to.deep.equal(losses(b));
    const c = await runAll(testConfig({ seed: 4 }), testRegistry());
    expect(losses(c)).to.not.deep.equal(losses(a));
  });

  describe('checkpoints and resume', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cf-resume-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('2 epochs straight equal 1 epoch + resume + 1 epoch, weights, slots and host state alike', async () => {
      const registry = testRegistry();
      const straight = testConfig({ train: { epochs: 2, batchSize: 16, checkpointDir: join(dir, 'a'), checkpointEvery: 1 } });
      const events = await runAll(straight, registry);
      expect(events.filter((e) => e.type === 'checkpoint')).to.have.length(2);

      const resumed = testConfig({ train: { epochs: 2, batchSize: 16, checkpointDir: join(dir, 'b'), resume: join(dir, 'a', 'epoch-0001.ckpt') } });
      const rEvents = await runAll(resumed, registry);
      const start = rEvents[0];
      if (start.type !== 'run-start') throw new Error('no run-start');
      expect(start.resumedFrom?.epoch).to.equal(1);
      expect(rEvents.filter((e) => e.type === 'step').map((e) => (e as StepEvent).step)).to.deep.equal([6, 7, 8, 9, 10, 11]);

      const keys = await expectSameCheckpoints(join(dir, 'a', 'epoch-0002.ckpt'), join(dir, 'b', 'epoch-0002.ckpt'));
      expect(keys).to.include.members(['backbone/weight', 'objective/prototypes', 'objective/wins', 'optimizer/0/momentum']);
    });

    it('a run interrupted as an epoch starts (its order drawn, no step taken) goes on with that order, as if never stopped', async () => {
      const registry = testRegistry();
      const cfg = (sub: string, resume?: string) => testConfig({ train: { epochs: 3, batchSize: 16, checkpointDir: join(dir, sub), resume } });
      const losses = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'epoch-end' ? [e.loss.total] : []));
      const straight = losses(await runAll(cfg('a'), registry));
      // Stopped as the first epoch ends: the loop starts the second (draws its order), then stops.
      const stop = new AbortController();
      const atFirstEnd = { id: 'stop-at-epoch-1', onEvent: (e: TrainEvent) => void (e.type === 'epoch-end' && e.epoch === 0 && stop.abort('test')) };
      const cut = await runAll(cfg('b'), registry, undefined, { stop: stop.signal, hooks: [atFirstEnd] });
      expect(cut.map((e) => e.type)).to.include('checkpoint');
      const resumed = losses(await runAll(cfg('c', join(dir, 'b', 'last.ckpt')), registry));
      expect([...losses(cut), ...resumed]).to.deep.equal(straight);
      await expectSameCheckpoints(join(dir, 'a', 'last.ckpt'), join(dir, 'c', 'last.ckpt'));
    });

    it("an epoch's record goes out before its checkpoint is written (a run killed between the two lost the epoch from its log)", async () => {
      const events = await runAll(testConfig({ train: { epochs: 3, batchSize: 16, checkpointDir: dir, checkpointEvery: 1 } }), testRegistry());
      const order = events.filter((e) => e.type === 'epoch-end' || e.type === 'checkpoint').map((e) => `${e.type} ${e.epoch}`);
      // A checkpoint's epoch counts the epochs done: the one after epoch 0 says 1.
      expect(order).to.deep.equal(['epoch-end 0', 'checkpoint 1', 'epoch-end 1', 'checkpoint 2', 'epoch-end 2', 'checkpoint 3']);
    });

    it('evaluates a checkpoint to the metrics and clusters the run ended with', async () => {
      const { evaluateCheckpoint } = await import('@clusterflow/core');
      const registry = testRegistry();
      const events = await runAll(testConfig({ train: { epochs: 2, batchSize: 16, checkpointDir: dir } }), registry);
      const done = events[events.length - 1] as CompleteEvent;
      const before = tf.memory().numTensors;
      const ev = await evaluateCheckpoint(join(dir, 'last.ckpt'), { registry });
      expect(tf.memory().numTensors).to.equal(before);
      expect(ev.epoch).to.equal(2);
      expect(ev.config.name).to.equal('core-test');
      expect(ev.metrics).to.deep.equal(done.summary.metrics);
      expect(Array.from(ev.readouts.argmin)).to.deep.equal(Array.from(done.summary.readouts.argmin));
    });

    it('refuses to resume a checkpoint written by a different configuration', async () => {
      const registry = testRegistry();
      await runAll(testConfig({ train: { epochs: 1, batchSize: 16, checkpointDir: dir } }), registry);
      const err = await runError(
        testConfig({ optimizer: { id: 'sgd', options: { lr: 0.5 } }, train: { epochs: 2, batchSize: 16, resume: join(dir, 'last.ckpt') } }),
        registry,
      );
      expect(err.message).to.contain('different configuration');
    });
  });

  it('step events come while the run is in progress (first step before completion)', async () => {
    const first = await firstValueFrom(train(testConfig(), { registry: testRegistry(), logger: silentLogger }).pipe(filter((e) => e.type === 'step')));
    expect(first.type).to.equal('step');
  });
});
