import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  disposeCheckpoint,
  readCheckpoint,
  runTraining,
  selectBackend,
  tf,
  type CompleteEvent,
  type EpochEndEvent,
  type RunConfigInput,
  type TrainEvent,
} from '@clusterflow/core';
import { expectSameCheckpoints } from './support/checkpoints.js';
import { testConfig, testRegistry } from './support/components.js';
import { runAll, runError, silentLogger } from './support/run.js';

/** Two stages over one backbone: 'a' trains prototypes with SGD, 'b' starts from a's prototypes (its head) with Adam. */
function staged(train: Record<string, unknown> = {}): RunConfigInput & { stages: Record<string, unknown>[] } {
  const { objective: _o, ...rest } = testConfig({ train: { epochs: 2, batchSize: 32, ...train } });
  return {
    ...rest,
    stages: [
      { name: 'a', objective: [{ id: 'prototypes' }] },
      {
        name: 'b',
        objective: [{ id: 'prototypes', options: { temperature: 0.5 } }],
        optimizer: { id: 'adam', options: { lr: 0.01 } },
        train: { epochs: 3 },
        head: 'previous',
      },
    ],
  };
}

describe('multi-stage runs', () => {
  let dir: string;
  before(async () => {
    await selectBackend('cpu');
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-stages-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains the stages in order over one backbone, each evaluated at its end; events and summary name them', async () => {
    const before = tf.memory().numTensors;
    const events = await runAll(staged(), testRegistry());
    expect(tf.memory().numTensors).to.equal(before);
    const kinds = events
      .map((e) => (e.type === 'stage-start' || e.type === 'stage-end' ? `${e.type} ${e.name}` : e.type))
      .filter((t) => t !== 'step' && t !== 'warning');
    expect(kinds).to.deep.equal([
      'run-start',
      'stage-start a',
      'epoch-end',
      'epoch-end',
      'stage-end a',
      'stage-start b',
      'epoch-end',
      'epoch-end',
      'epoch-end',
      'stage-end b',
      'complete',
    ]);
    const ends = events.filter((e): e is EpochEndEvent => e.type === 'epoch-end');
    expect(ends.map((e) => `${e.stage}:${e.epoch}`)).to.deep.equal(['a:0', 'a:1', 'b:2', 'b:3', 'b:4']);
    const done = (events.at(-1) as CompleteEvent).summary;
    expect(done.epochs).to.equal(5);
    expect(done.epochsDone).to.equal(5);
    expect(done.stages.map((s) => [s.name, s.epochsDone])).to.deep.equal([
      ['a', 2],
      ['b', 3],
    ]);
    for (const s of done.stages) expect(s.metrics.purity, s.name).to.be.within(0, 1);
    expect(done.metrics).to.deep.equal(done.stages[1].metrics);
  });

  it("a stage with head: previous starts from the previous stage's cluster head", async () => {
    const cfg = { ...staged({ checkpointDir: dir, checkpointEvery: 1 }) };
    // Stage b with an lr of 0 keeps what it started from.
    cfg.stages[1].optimizer = { id: 'sgd', options: { lr: 1e-30, momentum: 0, weightDecay: 0 } } as never;
    await runAll(cfg, testRegistry());
    expect(await readdir(dir)).to.include.members(['a-epoch-0001.ckpt', 'a-epoch-0002.ckpt', 'b-epoch-0001.ckpt', 'b-epoch-0003.ckpt', 'last.ckpt']);
    const endOfA = await readCheckpoint(join(dir, 'a-epoch-0002.ckpt'));
    const startOfB = await readCheckpoint(join(dir, 'b-epoch-0001.ckpt'));
    try {
      const a = Array.from((endOfA.state['objective/prototypes'] as tf.Tensor).dataSync());
      const b = Array.from((startOfB.state['objective/prototypes'] as tf.Tensor).dataSync());
      expect(b).to.deep.equal(a);
      expect(startOfB.meta.stage).to.equal(1);
    } finally {
      disposeCheckpoint(endOfA);
      disposeCheckpoint(startOfB);
    }
  });

  it('resumes from the end of a stage and from inside a later one, giving the straight run exactly', async () => {
    const registry = testRegistry();
    await runAll(staged({ checkpointDir: join(dir, 'straight'), checkpointEvery: 1 }), registry);
    // From the end of stage a: stage b starts from the restored head.
    await runAll(staged({ checkpointDir: join(dir, 'from-a'), resume: join(dir, 'straight', 'a-epoch-0002.ckpt') }), registry);
    await expectSameCheckpoints(join(dir, 'straight', 'b-epoch-0003.ckpt'), join(dir, 'from-a', 'b-epoch-0003.ckpt'));
    // Interrupted inside stage b, then resumed.
    const stop = new AbortController();
    const events: TrainEvent[] = [];
    await runTraining(staged({ checkpointDir: join(dir, 'cut') }), {
      registry,
      logger: silentLogger,
      stop: stop.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'step' && e.step === 7) stop.abort('interrupted');
      },
    });
    const cut = await readCheckpoint(join(dir, 'cut', 'last.ckpt'));
    try {
      expect(cut.meta.stage).to.equal(1);
      expect(cut.meta.stepInEpoch).to.be.greaterThan(0);
    } finally {
      disposeCheckpoint(cut);
    }
    await runAll(staged({ checkpointDir: join(dir, 'resumed'), resume: join(dir, 'cut', 'last.ckpt') }), registry);
    await expectSameCheckpoints(join(dir, 'straight', 'b-epoch-0003.ckpt'), join(dir, 'resumed', 'b-epoch-0003.ckpt'));
  });

  it('refuses a run with both objective and stages, duplicate stage names, and a head that is not there', async () => {
    const both = await runError({ ...staged(), objective: [{ id: 'prototypes' }] }, testRegistry());
    expect(both).to.be.instanceOf(ConfigError);
    expect(both.message).to.contain('a run names its objective, or its stages');
    const dup = staged();
    dup.stages[1].name = 'a';
    expect((await runError(dup, testRegistry())).message).to.contain('stage names must be unique');
    // An objective with no cluster head cannot hand one to a stage that asks for it:
    // refused from the factories before stage a trains (issue 26, item 11).
    const registry = testRegistry();
    const prototypes = registry.get('objective', 'prototypes');
    registry.registrar('t').objective({
      id: 'headless',
      options: prototypes.options,
      create: (o, ctx) => {
        const { clusterHead: _head, ...rest } = prototypes.create(o, ctx);
        return rest;
      },
    });
    const headless = staged();
    headless.stages[0].objective = [{ id: 'headless' }];
    const err = await runError(headless, registry);
    expect(err).to.be.instanceOf(ConfigError);
    // The config check's words (the stage's start would name the objective instance instead).
    expect(err.message).to.contain("stage 'b' starts from the previous stage's cluster head, but the objectives of stage 'a' ('headless') provide none");
    // A factory that says it provides a head but whose objective has none is still caught when the stage starts.
    registry
      .registrar('t2')
      .objective({ id: 'claims-head', providesClusterHead: true, options: prototypes.options, create: registry.get('objective', 'headless').create });
    headless.stages[0].objective = [{ id: 'claims-head' }];
    const late = await runError(headless, registry);
    expect(late.message).to.contain("stage 'b' starts from the previous stage's cluster head, but objective");
  });
});
