import { expect } from 'chai';
import {
  NonFiniteLossError,
  ShapeError,
  buildRun,
  paramGroups,
  parseRunConfig,
  resolveRunConfig,
  selectBackend,
  tf,
  trainStep,
  type ObjectiveState,
} from '@clusterflow/core';
import { testConfig, testRegistry } from './support/components.js';

/** One run's parts and a way to step it, over the core test components. */
async function stepper(objectiveOptions: Record<string, unknown>) {
  const registry = testRegistry();
  const cfg = resolveRunConfig(
    parseRunConfig(testConfig({ backbone: { id: 'linear', options: { runningMean: true } }, objective: [{ id: 'prototypes', options: objectiveOptions }] })),
    registry,
  );
  const run = await buildRun(cfg, registry, '.');
  const optimizer = registry.build('optimizer', cfg.optimizer, {});
  const groups = paramGroups(run);
  const params = [...run.backbone.variables(), ...run.objective.variables()];
  const indices = Int32Array.from({ length: 32 }, (_, i) => i);
  return {
    step: (step: number) => trainStep(run, optimizer, groups, { indices, epoch: 0, step, lr: 0.05 }),
    /** Host copies of every state value: backbone (with its running mean), objective, optimizer slots. */
    snapshot(): Record<string, number[]> {
      const all: ObjectiveState = { ...run.backbone.getState(), ...run.objective.getState(), ...optimizer.getState(params) };
      return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Array.from(ArrayBuffer.isView(v) ? v : (v as tf.Tensor).dataSync())]));
    },
    dispose() {
      optimizer.dispose();
      run.objective.dispose();
      run.backbone.dispose();
    },
  };
}

describe('one training step', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('a non-finite loss changes nothing: weights, running statistics, host state and optimizer slots stay, no tensor is left', async () => {
    const s = await stepper({ nanAtStep: 1 });
    try {
      await s.step(0);
      const before = s.snapshot();
      const tensors = tf.memory().numTensors;
      const err = await s.step(1).catch((e) => e);
      expect(err).to.be.instanceOf(NonFiniteLossError);
      expect(s.snapshot()).to.deep.equal(before);
      expect(tf.memory().numTensors).to.equal(tensors);
      // A finite step does move them, so the comparison above can fail.
      await s.step(2);
      const after = s.snapshot();
      for (const key of ['running_mean', 'weight', 'wins']) expect(after[key], key).to.not.deep.equal(before[key]);
    } finally {
      s.dispose();
    }
  });

  it('a loss that throws leaves no tensor and no pending state behind', async () => {
    const s = await stepper({ throwAtStep: 1 });
    try {
      await s.step(0);
      const before = s.snapshot();
      const tensors = tf.memory().numTensors;
      const err = await s.step(1).catch((e) => e);
      expect(err).to.be.instanceOf(ShapeError);
      expect(s.snapshot()).to.deep.equal(before);
      expect(tf.memory().numTensors).to.equal(tensors);
    } finally {
      s.dispose();
    }
  });
});
