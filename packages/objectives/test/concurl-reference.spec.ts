// ConCURL against the PyTorch reference written from the spec (fixtures/make_concurl.py):
// each loss part and the total, their gradients w.r.t. both views and every head
// weight (prototypes included when they train), the Sinkhorn targets, the
// prototype re-normalisation, the BN running statistics and the memory-bank update.
import type * as tfc from '@tensorflow/tfjs-core';
import { Rng, selectBackend, tf, type ObjectiveContext, type ObjectiveState, type Pending } from '@clusterflow/core';
import { expect } from 'chai';
import { concurlOptions, ConcurlObjective, exemplarLoss, populationLoss } from '../src/concurl/index.js';
import { sinkhorn } from '../src/sinkhorn.js';
import { expectClose } from './support/compare.js';
import { flat, loadReference } from './support/concurl.js';
import { testServices } from './support/services.js';

const ref = loadReference().concurl;
const cfg = ref.config;
const REL = 1e-5;

function context(): ObjectiveContext {
  return { featureDim: cfg.featureDim, numSamples: cfg.numSamples, numClusters: cfg.numPrototypes, numViews: 2, rng: new Rng(5), services: testServices() };
}

function build(trainPrototypes: boolean): ConcurlObjective {
  const options = concurlOptions.parse({
    exemplarDim: cfg.exemplarDim,
    projectionHidden: cfg.projectionHidden,
    projectionDim: cfg.projectionDim,
    numPrototypes: cfg.numPrototypes,
    numProjections: cfg.numProjections,
    randomDim: cfg.randomDim,
    exemplarTemperature: cfg.exemplarTemperature,
    bankMomentum: cfg.bankMomentum,
    epsilon: cfg.epsilon,
    sinkhornIterations: cfg.sinkhornIterations,
    temperature: cfg.temperature,
    alpha: cfg.alpha,
    beta: cfg.beta,
    gamma: cfg.gamma,
    trainPrototypes,
  });
  const objective = new ConcurlObjective(options, context());
  const { rng, kmeansSeed } = objective.getState();
  const state: ObjectiveState = { rng, kmeansSeed };
  const made: tfc.Tensor[] = [];
  for (const [k, v] of Object.entries(ref.state)) {
    const t = tf.tensor(flat(v), (objective.getState()[k] as tfc.Tensor).shape);
    made.push(t);
    state[k] = t;
  }
  objective.setState(state);
  tf.dispose(made);
  return objective;
}

/** Name of each trainable variable, from getState's keys. */
function names(objective: ConcurlObjective): Map<tfc.Variable, string> {
  const byVar = new Map<tfc.Variable, string>();
  for (const [k, v] of Object.entries(objective.getState())) byVar.set(v as tfc.Variable, k);
  return byVar;
}

const batch = (views: tfc.Tensor2D[]) => ({ indices: Int32Array.from(ref.indices), views, epoch: 0, step: 0 });

describe('concurl vs the PyTorch reference', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  for (const trainPrototypes of [false, true]) {
    it(`losses and gradients of every part (trainPrototypes ${trainPrototypes}), then the bank update`, async () => {
      const objective = build(trainPrototypes);
      const byVar = names(objective);
      const vars = objective.variables();
      expect(vars.map((v) => byVar.get(v)).includes('prototypes')).to.equal(trainPrototypes);
      expect(vars.length).to.equal(trainPrototypes ? 9 : 8);
      const x1 = tf.tidy(() => tf.variable(tf.tensor2d(ref.views[0])));
      const x2 = tf.tidy(() => tf.variable(tf.tensor2d(ref.views[1])));
      const before = tf.memory().numTensors;
      const worst: Record<string, number> = {};
      // One step of the protocol: prepare, a loss per part (the step's pending values
      // are those of the first), commit once.
      const step = batch([x1 as tfc.Tensor2D, x2 as tfc.Tensor2D]);
      const plan = await objective.prepare(step);
      let pending: Pending = {};

      for (const part of ['total', 'exemplar', 'population', 'consensus']) {
        let values: Record<string, number> = {};
        const { value, grads } = tf.variableGrads(() => {
          const out = objective.loss(batch([x1 as tfc.Tensor2D, x2 as tfc.Tensor2D]), plan);
          values = Object.fromEntries(Object.entries(out.parts).map(([k, t]) => [k, t.dataSync()[0]]));
          values.total = out.total.dataSync()[0];
          if (part === 'total') pending = Object.fromEntries(Object.entries(out.pending ?? {}).map(([k, t]) => [k, tf.keep(t)]));
          return part === 'total' ? out.total : out.parts[part];
        }, [x1, x2, ...vars]);
        expectClose([value.dataSync()[0]], [ref.losses[part]], REL, `${part} value`);
        for (const [k, v] of Object.entries(values)) expectClose([v], [ref.losses[k]], REL, `${k} (reported in ${part} call)`);
        // A tensor whose reference gradient is analytically zero (below 1e-9 of the
        // part's largest entry) is compared against that largest entry (see expectClose).
        const partScale = Math.max(...Object.values(ref.grads[part]).flatMap((g) => flat(g).map(Math.abs)));
        const seen = new Set<string>();
        for (const [id, g] of Object.entries(grads)) {
          const name = id === x1.name ? 'views.0' : id === x2.name ? 'views.1' : byVar.get(vars.find((v) => v.name === id)!)!;
          expect(name, `gradient ${id} has a name`).to.be.a('string');
          seen.add(name);
          worst[`${part}/${name}`] = expectClose(
            g.dataSync(),
            flat(ref.grads[part][name]),
            REL,
            `d ${part} / d ${name}`,
            Math.max(...flat(ref.grads[part][name]).map(Math.abs)) < 1e-9 * partScale ? partScale : 0,
          );
        }
        // tf.variableGrads leaves out what the part does not depend on: PyTorch's are exactly 0 there.
        const wanted = ['views.0', 'views.1', ...vars.map((v) => byVar.get(v)!)];
        const absent = wanted.filter((k) => !seen.has(k));
        for (const k of absent)
          expect(
            flat(ref.grads[part][k]).every((x) => x === 0),
            `d ${part} / d ${k} is 0`,
          ).to.equal(true);
        expect(seen.size + absent.length).to.equal(vars.length + 2);
        if (trainPrototypes && part !== 'exemplar') expect(seen.has('prototypes'), `d ${part} / d prototypes`).to.equal(true);
        tf.dispose([value, ...Object.values(grads)]);

        if (part === 'total') {
          // After one loss(): unit prototypes and BN stats moved by two forward passes.
          const st = objective.getState();
          expectClose((st.prototypes as tfc.Tensor).dataSync(), flat(ref.normalizedPrototypes), REL, 'normalised prototypes');
          expectClose((st['head.1.running_mean'] as tfc.Tensor).dataSync(), ref.runningMeanAfter, REL, 'BN running mean');
          expectClose((st['head.1.running_var'] as tfc.Tensor).dataSync(), ref.runningVarAfter, REL, 'BN running var');
        }
      }
      // The step's v is kept as pending by loss() until commit() consumes it.
      expect(tf.memory().numTensors).to.equal(before + 1);
      await objective.commit(step, pending, plan);
      tf.dispose(Object.values(pending));
      expect(tf.memory().numTensors).to.equal(before);
      expectClose((objective.getState().bank as tfc.Tensor).dataSync(), flat(ref.bankAfter), REL, 'bank after the update');
      // Measured agreement, visible with --reporter spec when something drifts.
      const max = Math.max(...Object.values(worst));
      expect(max).to.be.below(REL);
      if (process.env.CONCURL_REPORT) console.log(`    worst gradient mismatch ${max.toExponential(2)}`, worst);
      tf.dispose([x1, x2]);
      objective.dispose();
    });
  }

  it('Sinkhorn targets and the population loss from the reference scores', () => {
    for (const a of [0, 1]) {
      const s = tf.tensor2d(ref.scores[a]);
      const q = sinkhorn(s, { epsilon: cfg.epsilon, iterations: cfg.sinkhornIterations });
      expectClose(q.dataSync(), flat(ref.targets[a]), REL, `targets of view ${a + 1}`);
      tf.dispose([s, q]);
    }
    const [s1, s2] = ref.scores.map((s) => tf.tensor2d(s));
    const pop = populationLoss(s1, s2, { epsilon: cfg.epsilon, iterations: cfg.sinkhornIterations, temperature: cfg.temperature });
    expectClose([pop.dataSync()[0]], [ref.losses.population], REL, 'population loss');
    tf.dispose([s1, s2, pop]);
  });

  it('exemplar loss with sampled negatives: value and gradient w.r.t. v', () => {
    const v = tf.tensor2d(ref.v);
    const bank = tf.tensor2d(flat(ref.state.bank), [cfg.numSamples, cfg.exemplarDim]);
    const negatives = Int32Array.from(flat(ref.sampled.negatives));
    const indices = Int32Array.from(ref.indices);
    const f = (x: tfc.Tensor) => exemplarLoss(x as tfc.Tensor2D, bank, indices, cfg.exemplarTemperature, negatives);
    const { value, grad } = tf.valueAndGrad(f)(v);
    expectClose([value.dataSync()[0]], [ref.sampled.loss], REL, 'sampled exemplar loss');
    expectClose(grad.dataSync(), flat(ref.sampled.gradV), REL, 'd sampled / d v');
    tf.dispose([v, bank, value, grad]);
  });
});
