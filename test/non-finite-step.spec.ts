import { expect } from 'chai';
import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  buildRun,
  NonFiniteLossError,
  paramGroups,
  parseRunConfig,
  Registry,
  resolveRunConfig,
  selectBackend,
  tf,
  trainStep,
  type Objective,
  type ObjectiveFactory,
  type Optimizer,
  type RunParts,
} from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';
import { DATA_FIXTURES, FMNIST64 } from './support/fixtures.js';

// A step whose loss is not finite ends the run and changes nothing: not the
// weights, not BatchNorm's running statistics, not the optimizer's slots, not an
// objective's memories, banks, duals, counters or samplers. Each objective under
// test is composed with `nan-at`, whose loss turns NaN at a chosen step, so the
// objective computes its pending values as usual (and draws what it prepares:
// scan's companions) and only the loop's finite check stands between them and
// its state. Real components, real data (64 Fashion-MNIST
// images), core's trainStep.

const BATCH = 16;

/** 0 · mean(view 1) until step `step`, NaN · mean(view 1) at it: a NaN total and NaN gradients in the backbone. */
const nanAt: ObjectiveFactory<{ step: number }> = {
  id: 'nan-at',
  description: 'test objective: a loss that turns NaN at one step',
  options: z.object({ step: z.number().int().min(0) }).strict(),
  create: (o): Objective => ({
    id: 'nan-at',
    variables: () => [],
    loss: (batch) => ({
      total: tf.tidy(() => tf.mul(tf.mean(batch.views[0]), batch.step === o.step ? NaN : 0) as tfc.Scalar),
      parts: {},
    }),
    predict: async (features) => ({ none: new Int32Array(features.shape[0]) }),
    getState: () => ({}),
    setState: () => {},
    dispose: () => {},
  }),
};

function registry(): Registry {
  const r = defaultRegistry();
  r.registrar('test').objective(nanAt);
  return r;
}

interface Case {
  name: string;
  objective: { id: string; options: Record<string, unknown> };
  /** Epoch of the failing step; the good steps run in epoch 0 and, when it is 1, in epoch 1 too. */
  epoch: 0 | 1;
}

const SECU = { hidden: 16, dim: 8, numHeads: 2 };
const cases: Case[] = [
  ...(['size', 'entropy'] as const).flatMap((constraint) =>
    ([0, 1] as const).map((epoch) => ({
      name: `secu ${constraint}, epoch ${epoch}`,
      objective: { id: 'secu', options: { ...SECU, constraint } },
      epoch,
    })),
  ),
  {
    name: 'concurl (sampled negatives, trained prototypes)',
    objective: {
      id: 'concurl',
      options: { numProjections: 4, projectionHidden: 32, projectionDim: 16, randomDim: 8, exemplarDim: 16, negatives: 8, trainPrototypes: true, alpha: 0.5 },
    },
    epoch: 0,
  },
  { name: 'cc', objective: { id: 'cc', options: { projectionDim: 16 } }, epoch: 0 },
  ...([0, 1] as const).map((epoch) => ({ name: `scan, epoch ${epoch}`, objective: { id: 'scan', options: { numHeads: 2, k: 5 } }, epoch })),
  {
    name: 'self-label (EMA teacher, cap, fallback)',
    objective: { id: 'self-label', options: { teacherDecay: 0.9, maxShare: 1, minShare: 0.5 } },
    epoch: 0,
  },
];

/** Every state value of the run as host bytes, by name: backbone, objective, optimizer, cluster sizes. */
function snapshot(run: RunParts, optimizer: Optimizer, params: tfc.Variable[]): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const put = (name: string, value: tfc.Tensor | ArrayBufferView) => {
    const data = ArrayBuffer.isView(value) ? value : value.dataSync();
    out[name] = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  };
  for (const [k, v] of Object.entries(run.backbone.getState())) put(`backbone/${k}`, v);
  for (const [k, v] of Object.entries(run.objective.getState())) put(`objective/${k}`, v);
  for (const [k, v] of Object.entries(optimizer.getState(params))) put(`optimizer/${k}`, v);
  for (const [k, v] of Object.entries(run.objective.clusterSizes?.() ?? {})) put(`sizes/${k}`, Float64Array.from(v));
  return out;
}

/** Names whose bytes differ (or that appear on one side only). */
function changed(a: Record<string, Uint8Array>, b: Record<string, Uint8Array>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((k) => !a[k] || !b[k] || !Buffer.from(a[k]).equals(Buffer.from(b[k])));
}

describe('a non-finite step changes no state, for every stateful objective', function () {
  this.timeout(60000);
  before(async () => {
    await selectBackend('cpu');
  });

  for (const c of cases) {
    it(c.name, async () => {
      const reg = registry();
      const good = c.epoch === 0 ? 1 : 2;
      const cfg = resolveRunConfig(
        parseRunConfig({
          seed: 3,
          data: FMNIST64,
          augmentation: { id: 'identity', options: { views: 2 } },
          backbone: { id: 'mlp', options: { featureDim: 12, hidden: [24], batchNorm: true } },
          objective: [c.objective, { id: 'nan-at', options: { step: good } }],
          numClusters: 4,
        }),
        reg,
      );
      const before = tf.memory().numTensors;
      const run = await buildRun(cfg, reg, DATA_FIXTURES);
      const optimizer = reg.build('optimizer', cfg.optimizer, {});
      try {
        const groups = paramGroups(run);
        const params = [...run.backbone.variables(), ...run.objective.variables()];
        const lr = optimizer.lr;
        const order = run.rng.permutation(run.dataset.size);
        const batchAt = (step: number) => order.slice(step * BATCH, (step + 1) * BATCH);

        await run.objective.onEpochStart?.(0);
        for (let step = 0; step < good; step++) {
          if (step === 1) await run.objective.onEpochStart?.(1);
          await trainStep(run, optimizer, groups, { indices: batchAt(step), epoch: step, step, lr });
        }
        const kept = snapshot(run, optimizer, params);
        const tensors = tf.memory().numTensors;

        let error: unknown;
        try {
          await trainStep(run, optimizer, groups, { indices: batchAt(good), epoch: c.epoch, step: good, lr });
        } catch (err) {
          error = err;
        }
        expect(error).to.be.instanceOf(NonFiniteLossError);
        expect((error as NonFiniteLossError).objective).to.equal('nan-at');
        expect(changed(kept, snapshot(run, optimizer, params)), 'state changed by the failed step').to.deep.equal([]);
        expect(tf.memory().numTensors, 'tensors after the failed step').to.equal(tensors);

        // The comparison can fail: the same batch as a good step changes the objective's own state.
        await trainStep(run, optimizer, groups, { indices: batchAt(good), epoch: c.epoch, step: good + 1, lr });
        const moved = changed(kept, snapshot(run, optimizer, params));
        const own = moved.filter((k) => k.startsWith('objective/') || k.startsWith('sizes/'));
        expect(own, `objective state a good step changes (${moved.join(', ')})`).to.not.deep.equal([]);
        expect(
          moved.some((k) => k.includes('running_mean')),
          'BatchNorm statistics move in a good step',
        ).to.equal(true);
      } finally {
        optimizer.dispose();
        run.objective.dispose();
        run.backbone.dispose();
      }
      expect(tf.memory().numTensors, 'tensors after the run').to.equal(before);
    });
  }
});
