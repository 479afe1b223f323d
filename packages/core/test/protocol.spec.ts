import { expect } from 'chai';
import { z } from 'zod';
import { DATASET, EMBED, selectBackend, tf, type Objective, type ObjectiveFactory, type StepPlan } from '@clusterflow/core';
import { testConfig, testRegistry } from './support/components.js';
import { runAll } from './support/run.js';

/**
 * Asks, for each batch row, for the sample of the reversed batch row as its
 * companion, and records how far the companions' features are from the reversed
 * rows' (0 without augmentation noise). Also embeds the dataset and reports a
 * diagnostic, to check the run-scoped services.
 */
function probeObjective(seen: { gaps: number[]; embedded: number[][]; datasetSize: number[] }): ObjectiveFactory<Record<string, never>> {
  return {
    id: 'probe',
    options: z.object({}).strict() as z.ZodType<Record<string, never>>,
    create(_o, ctx) {
      const w = tf.tidy(() => tf.variable(tf.ones([ctx.featureDim, 1])));
      const objective: Objective = {
        id: 'probe',
        variables: () => [w],
        async onEpochStart() {
          const features = await ctx.services.resolve(EMBED)();
          seen.embedded.push(features.shape);
          features.dispose();
          seen.datasetSize.push(ctx.services.resolve(DATASET).size);
        },
        async prepare(step) {
          return { companions: Int32Array.from(step.indices).reverse() };
        },
        loss({ views, companions }) {
          const gap = tf.sum(tf.abs(tf.sub(companions![0], tf.reverse(views[0], 0)))) as tf.Scalar;
          const total = tf.mean(tf.square(tf.matMul(views[0], w))) as tf.Scalar;
          return { total, parts: { total2: total }, pending: { gap } };
        },
        async commit(_s, { gap }) {
          seen.gaps.push((await gap.data())[0]);
        },
        diagnostics: () => ({ 'probe/gaps': seen.gaps.length }),
        predict: async (f) => ({ one: new Int32Array(f.shape[0]) }),
        getState: () => ({ w }),
        setState: (s) => w.assign(s.w as tf.Tensor),
        dispose: () => w.dispose(),
      };
      return objective;
    },
  };
}

/** A plan of its own: which step prepare() made it for. */
interface TaggedPlan extends StepPlan {
  madeFor: number;
}

/**
 * Returns a plan of its own from prepare() and records, per step, the plans
 * that loss() and commit() are handed, to check that the loop passes each
 * step's plan through (alone and inside a composition).
 */
function plannerObjective(
  id: string,
  seen: { made: TaggedPlan[]; loss: (TaggedPlan | undefined)[]; commit: (TaggedPlan | undefined)[] },
): ObjectiveFactory<Record<string, never>> {
  return {
    id,
    options: z.object({}).strict() as z.ZodType<Record<string, never>>,
    create(_o, ctx) {
      const w = tf.tidy(() => tf.variable(tf.ones([ctx.featureDim, 1])));
      const objective: Objective<TaggedPlan> = {
        id,
        variables: () => [w],
        async prepare(step) {
          const plan = { madeFor: step.step };
          seen.made.push(plan);
          return plan;
        },
        loss({ views }, plan) {
          seen.loss.push(plan);
          return { total: tf.mean(tf.square(tf.matMul(views[0], w))) as tf.Scalar, parts: {} };
        },
        commit(_s, _p, plan) {
          seen.commit.push(plan);
        },
        predict: async (f) => ({ one: new Int32Array(f.shape[0]) }),
        getState: () => ({ w }),
        setState: (s) => w.assign(s.w as tf.Tensor),
        dispose: () => w.dispose(),
      };
      return objective;
    },
  };
}

describe('the objective protocol: companions, run-scoped services, diagnostics', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('feeds the companions prepare asks for through the backbone beside the batch; EMBED and DATASET serve the run; diagnostics reach epoch-end metrics', async () => {
    const seen = { gaps: [] as number[], embedded: [] as number[][], datasetSize: [] as number[] };
    const registry = testRegistry();
    registry.registrar('probe').objective(probeObjective(seen));
    const events = await runAll(
      testConfig({ augmentation: { id: 'noise', options: { std: 0 } }, objective: [{ id: 'probe' }], train: { epochs: 2, batchSize: 32 } }),
      registry,
    );
    expect(seen.gaps).to.have.length(6);
    for (const g of seen.gaps) expect(g).to.be.closeTo(0, 1e-4);
    expect(seen.embedded).to.deep.equal([
      [96, 4],
      [96, 4],
    ]);
    expect(seen.datasetSize).to.deep.equal([96, 96]);
    const ends = events.filter((e) => e.type === 'epoch-end');
    expect(ends.map((e) => (e.type === 'epoch-end' ? e.metrics['probe/gaps'] : -1))).to.deep.equal([3, 6]);
  });

  it("hands each step's plan from prepare to that step's loss and commit, alone and in a composition", async () => {
    for (const objective of [[{ id: 'planner' }], [{ id: 'prototypes' }, { id: 'planner', weight: 0.5 }]]) {
      const seen = { made: [] as TaggedPlan[], loss: [] as (TaggedPlan | undefined)[], commit: [] as (TaggedPlan | undefined)[] };
      const registry = testRegistry();
      registry.registrar('planner').objective(plannerObjective('planner', seen));
      await runAll(testConfig({ objective, train: { epochs: 1, batchSize: 32 } }), registry);
      expect(
        seen.made.map((p) => p.madeFor),
        JSON.stringify(objective),
      ).to.deep.equal([0, 1, 2]);
      for (const handed of [seen.loss, seen.commit]) {
        expect(handed).to.have.length(3);
        handed.forEach((plan, i) => expect(plan, `step ${i}`).to.equal(seen.made[i]));
      }
    }
  });
});
