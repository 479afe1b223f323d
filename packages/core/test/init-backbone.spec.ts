import { expect } from 'chai';
import { copyFile, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, disposeCheckpoint, evaluateCheckpoint, readCheckpoint, selectBackend, tf, type Hook } from '@clusterflow/core';
import { testConfig, testRegistry } from './support/components.js';
import { runAll, runError } from './support/run.js';

/** A hook that copies the backbone's weights as the run starts (before its first step). */
function startingWeights(into: Record<string, number[]>): Hook {
  return {
    id: 'starting-weights',
    onRunStart: (ctx) => {
      for (const [k, t] of Object.entries(ctx.run.backbone.getState())) into[k] = Array.from(t.dataSync());
    },
  };
}

describe('init.backbone: a run starting from another run’s backbone', () => {
  let dir: string;
  let trained: Record<string, number[]>;
  before(async () => {
    await selectBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'cf-init-'));
    // Seed 7's run, two epochs: the backbone the specs start from, saved under a seed's name.
    await runAll(testConfig({ seed: 7, train: { epochs: 2, batchSize: 32, checkpointDir: join(dir, 'stage1') } }), testRegistry());
    await rename(join(dir, 'stage1', 'last.ckpt'), join(dir, 'stage1', 'seed7.ckpt'));
    const ckpt = await readCheckpoint(join(dir, 'stage1', 'seed7.ckpt'));
    trained = Object.fromEntries(
      Object.entries(ckpt.state)
        .filter(([k]) => k.startsWith('backbone/'))
        .map(([k, v]) => [k.slice('backbone/'.length), Array.from((v as tf.Tensor).dataSync())]),
    );
    disposeCheckpoint(ckpt);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts from the checkpoint’s backbone weights, with {seed} in the path, and frees every tensor', async () => {
    const seen: Record<string, number[]> = {};
    const fresh: Record<string, number[]> = {};
    const before = tf.memory().numTensors;
    const cfg = testConfig({ seed: 7, init: { backbone: 'stage1/seed{seed}.ckpt' }, objective: [{ id: 'prototypes', options: { temperature: 0.5 } }] });
    await runAll(cfg, testRegistry(), dir, { hooks: [startingWeights(seen)] });
    expect(tf.memory().numTensors).to.equal(before);
    await runAll(testConfig({ seed: 7 }), testRegistry(), dir, { hooks: [startingWeights(fresh)] });
    expect(Object.keys(seen)).to.have.members(['weight', 'bias']);
    expect(seen).to.deep.equal(trained);
    // Without init the same seed starts elsewhere, so the comparison above says something.
    expect(fresh.weight).to.not.deep.equal(trained.weight);
  });

  it('refuses a backbone of another shape before training, naming the checkpoint and both backbones', async () => {
    const cfg = testConfig({ seed: 7, backbone: { id: 'linear', options: { dim: 6 } }, init: { backbone: 'stage1/seed7.ckpt' } });
    const err = await runError(cfg, testRegistry(), dir);
    expect(err).to.be.instanceOf(CheckpointError);
    expect(err.message)
      .to.contain(join(dir, 'stage1', 'seed7.ckpt'))
      .and.contain("(linear) does not fit this run's 'linear'");
  });

  it('names a missing checkpoint', async () => {
    const err = await runError(testConfig({ init: { backbone: 'stage1/nothing.ckpt' } }), testRegistry(), dir);
    expect(err.message).to.contain(join(dir, 'stage1', 'nothing.ckpt'));
  });

  it('is not read by a resumed run, which restores its own checkpoint, nor by an evaluation of one', async () => {
    const own = join(dir, 'own');
    await copyFile(join(dir, 'stage1', 'seed7.ckpt'), join(dir, 'stage1', 'gone.ckpt'));
    const run = (train: Record<string, unknown>) => testConfig({ seed: 7, init: { backbone: 'stage1/gone.ckpt' }, train: { batchSize: 32, ...train } });
    await runAll(run({ epochs: 1, checkpointDir: own }), testRegistry(), dir);
    // Its init checkpoint is gone: a resumed run that read it would fail.
    await rm(join(dir, 'stage1', 'gone.ckpt'));
    const events = await runAll(run({ epochs: 2, resume: join(own, 'last.ckpt') }), testRegistry(), dir);
    expect(events.at(-1)?.type).to.equal('complete');
    // Nor by an evaluation of its checkpoint (eval, predict): the weights are in it.
    const evaluated = await evaluateCheckpoint(join(own, 'last.ckpt'), { registry: testRegistry(), baseDir: dir });
    expect(evaluated.epoch).to.equal(1);
    expect(evaluated.metrics.purity).to.be.within(0, 1);
  });
});
