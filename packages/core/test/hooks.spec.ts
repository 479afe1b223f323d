import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  disposeCheckpoint,
  readCheckpoint,
  selectBackend,
  type CompleteEvent,
  type Hook,
  type HookContext,
  type HookFactory,
} from '@clusterflow/core';
import { z } from 'zod';
import { testConfig, testRegistry } from './support/components.js';
import { runAll, runError } from './support/run.js';

/** Records every stage it sees with what the context says at that point. */
function recorder(log: string[]): Hook {
  return {
    id: 'recorder',
    onRunStart: (c) => void log.push(`run-start epoch=${c.epoch} step=${c.step} backbone=${c.run.backbone.id} objective=${c.run.objective.id}`),
    onEpochStart: (c) => void log.push(`epoch-start ${c.epoch}`),
    onStepEnd: (c) => void log.push(`step ${c.step} total=${Number.isFinite(c.loss.total)}`),
    onEpochEnd: (c) => void log.push(`epoch-end ${c.epoch} purity=${c.metrics.purity !== undefined}`),
    onRunEnd: (c) => void log.push(`run-end ${c.end?.kind}`),
  };
}

describe('hooks', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('see every stage in order with one context: config, step, epoch, backbone, objective, losses and metrics', async () => {
    const log: string[] = [];
    await runAll(testConfig({ train: { epochs: 2, batchSize: 48 } }), testRegistry(), undefined, { hooks: [recorder(log)] });
    expect(log).to.deep.equal([
      'run-start epoch=0 step=0 backbone=linear objective=prototypes',
      'epoch-start 0',
      'step 1 total=true',
      'step 2 total=true',
      'epoch-end 0 purity=true',
      'epoch-start 1',
      'step 3 total=true',
      'step 4 total=true',
      'epoch-end 1 purity=true',
      'run-end completed',
    ]);
  });

  it('onEvent sees every event the run emits, in the order subscribers see them, warnings from other hooks included', async () => {
    const seen: string[] = [];
    const events = await runAll(testConfig({ train: { epochs: 2, batchSize: 48 } }), testRegistry(), undefined, {
      hooks: [{ id: 'tap', onEvent: (e) => void seen.push(e.type) }],
    });
    expect(seen).to.deep.equal(events.map((e) => e.type));
    expect(seen).to.include.members(['run-start', 'step', 'epoch-end', 'complete']);
  });

  it('run in priority order, the built-ins around the user hooks: evaluation first, checkpoints last', async () => {
    const seen: string[] = [];
    const probe = (id: string, priority?: number): Hook => ({
      id,
      priority,
      onEpochEnd: (c: HookContext) => void seen.push(`${id}:${Object.keys(c.metrics).length > 0}`),
    });
    await runAll(testConfig({ train: { epochs: 1, batchSize: 48 } }), testRegistry(), undefined, { hooks: [probe('late', 95), probe('user')] });
    // 'user' runs after evaluation (priority 10), so it sees this epoch's metrics.
    expect(seen).to.deep.equal(['user:true', 'late:true']);
  });

  it('a hook that asks to stop ends the run after that stage; the run is evaluated and says why it stopped', async () => {
    const stopper: Hook = { id: 'stopper', onEpochEnd: (c) => (c.epoch === 1 ? c.requestStop('enough', 'stopper') : undefined) };
    const events = await runAll(testConfig({ train: { epochs: 10, batchSize: 48 } }), testRegistry(), undefined, { hooks: [stopper] });
    const done = events[events.length - 1] as CompleteEvent;
    expect(events.filter((e) => e.type === 'epoch-end')).to.have.length(2);
    expect(done.summary.end).to.deep.equal({ kind: 'stopped', reason: 'enough', by: 'stopper' });
    expect(done.summary.epochsDone).to.equal(2);
    expect(done.summary.metrics.purity).to.be.within(0, 1);
    expect(done.summary.readouts.argmin).to.have.length(96);
  });

  it('early-stop, named in a config, stops when the monitored loss stops improving', async () => {
    // A tiny lr and a large minDelta: no epoch improves on the first one by that much.
    const cfg = testConfig({
      optimizer: { id: 'sgd', options: { lr: 1e-12, momentum: 0, weightDecay: 0 } },
      train: { epochs: 20, batchSize: 96 },
      hooks: [{ id: 'early-stop', options: { monitor: 'loss/total', patience: 3, minDelta: 10 } }],
    });
    const events = await runAll(cfg, testRegistry());
    const done = events[events.length - 1] as CompleteEvent;
    expect(done.summary.end.kind).to.equal('stopped');
    if (done.summary.end.kind === 'stopped') expect(done.summary.end.reason).to.contain('loss/total did not improve for 3 observations');
    expect(done.summary.epochsDone).to.equal(4);
  });

  it('early-stop refuses a monitor that is neither a loss part nor a metric of the run', async () => {
    const err = await runError(testConfig({ hooks: [{ id: 'early-stop', options: { monitor: 'acc' } }] }), testRegistry());
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.contain("monitors 'acc'").and.contain('purity');
  });

  it('an unknown hook or bad hook options fail before training, naming the hook', async () => {
    const unknown = await runError(testConfig({ hooks: [{ id: 'early-stopp' }] }), testRegistry());
    expect(unknown.message).to.contain("unknown hook 'early-stopp'").and.contain('early-stop (builtin:@clusterflow/core)');
    const bad = await runError(testConfig({ hooks: [{ id: 'early-stop', options: { patience: 0 } }] }), testRegistry());
    expect(bad).to.be.instanceOf(ConfigError);
    expect(bad.message).to.contain("options of hook 'early-stop'").and.contain('patience');
  });

  it('a hook registered by a plugin carries its state into checkpoints and gets it back on resume', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-hookstate-'));
    try {
      const restored: unknown[] = [];
      const counter: HookFactory<{ label: string }> = {
        id: 'step-counter',
        options: z.object({ label: z.string().default('n') }).strict(),
        create: ({ label }) => {
          let n = 0;
          return {
            id: 'step-counter',
            onStepEnd: () => void n++,
            getState: () => ({ [label]: n }),
            setState: (s) => void restored.push(s),
          };
        },
      };
      const registry = testRegistry();
      registry.registrar('my-hooks').hook(counter);
      const hooks = [{ id: 'step-counter', options: { label: 'steps' } }];
      await runAll(testConfig({ hooks, train: { epochs: 2, batchSize: 32, checkpointDir: dir, checkpointEvery: 1 } }), registry);
      const ckpt = await readCheckpoint(join(dir, 'epoch-0001.ckpt'));
      try {
        expect(ckpt.meta.hooks).to.deep.include({ 'step-counter': { steps: 3 } });
      } finally {
        disposeCheckpoint(ckpt);
      }
      await runAll(testConfig({ hooks, train: { epochs: 2, batchSize: 32, resume: join(dir, 'epoch-0001.ckpt') } }), registry);
      expect(restored).to.deep.equal([{ steps: 3 }]);
      expect(await readdir(dir)).to.include.members(['epoch-0001.ckpt', 'epoch-0002.ckpt', 'last.ckpt']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a hook that throws fails the run with an error naming the hook and the stage', async () => {
    const broken: Hook = {
      id: 'broken',
      onEpochStart: () => {
        throw new Error('boom');
      },
    };
    const err = await runError(testConfig(), testRegistry(), undefined, { hooks: [broken] });
    expect(err.message).to.equal("hook 'broken' failed in onEpochStart: boom");
  });
});
