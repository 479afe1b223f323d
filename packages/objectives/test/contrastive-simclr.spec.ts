import type * as tfc from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { AbortError, createRegistry, Rng, selectBackend, tf, type ObjectiveBatch, type ObjectiveContext } from '@clusterflow/core';
import { contrastiveObjectives, simclrFactory, simclrOptions, type SimclrObjective } from '../src/contrastive/index.js';
import { expectAllClose, expectClose, loadFixture, stateTensors } from './support/contrastive.js';
import { testServices } from './support/services.js';

const fixture = loadFixture();

function context(featureDim: number, numClusters: number, seed = 1): ObjectiveContext {
  return { featureDim, numClusters, numSamples: 100, numViews: 2, rng: new Rng(seed), services: testServices() };
}

function batchOf(views: tfc.Tensor2D[]): ObjectiveBatch {
  return { indices: Int32Array.from({ length: views[0].shape[0] }, (_, i) => i), views, epoch: 0, step: 0 };
}

/** n points around each of `centres` (rows), spread 0.1: an easy k-means problem. */
function blobs(centres: number[][], n: number, seed: number): tfc.Tensor2D {
  const rng = new Rng(seed);
  const rows: number[][] = [];
  for (const c of centres) for (let i = 0; i < n; i++) rows.push(c.map((v) => v + 0.1 * rng.normal()));
  return tf.tensor2d(rows);
}

/** Whether two labelings induce the same partition (equal up to renaming). */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]) ?? b[i]) !== b[i] || (ba.get(b[i]) ?? a[i]) !== a[i]) return false;
    ab.set(a[i], b[i]);
    ba.set(b[i], a[i]);
  }
  return true;
}

describe('contrastive: simclr objective', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('is exported with cc in contrastiveObjectives, with the reference defaults', () => {
    expect(contrastiveObjectives.map((f) => f.id)).to.deep.equal(['simclr', 'cc']);
    expect(simclrOptions.parse({})).to.deep.equal({ temperature: 0.5, projectionDim: 128, readout: 'backbone' });
    expect(() => simclrOptions.parse({ temperature: 0 })).to.throw();
    expect(() => simclrOptions.parse({ projection_dim: 64 })).to.throw();
  });

  it('builds the Linear(f,f)-ReLU-Linear(f,128) projection head', () => {
    const obj = simclrFactory.create(simclrOptions.parse({}), context(10, 3));
    const shapes = Object.fromEntries(Object.entries(obj.getState()).map(([k, v]) => [k, (v as tfc.Tensor).shape]));
    expect(shapes).to.deep.equal({
      'projectionHead.0.weight': [10, 10],
      'projectionHead.0.bias': [10],
      'projectionHead.2.weight': [10, 128],
      'projectionHead.2.bias': [128],
    });
    expect(obj.variables()).to.have.length(4);
    obj.dispose();
  });

  for (const c of fixture.simclr) {
    it(`matches PyTorch in loss and gradients w.r.t. features and head (${c.name})`, () => {
      const obj = simclrFactory.create(simclrOptions.parse({ temperature: c.temperature, projectionDim: c.projectionDim }), context(c.featureDim, 2));
      const state = stateTensors(c.state);
      obj.setState(state);
      tf.dispose(Object.values(state));
      const ha = tf.tensor2d(c.ha);
      const hb = tf.tensor2d(c.hb);
      const before = tf.memory().numTensors;
      const out = obj.loss(batchOf([ha, hb]));
      expectClose(out.total.dataSync()[0], c.loss, 'total');
      expectClose(out.parts.instance.dataSync()[0], c.loss, 'instance');
      tf.dispose([out.total, out.parts.instance]);
      const g = tf.grads((a: tfc.Tensor, b: tfc.Tensor) => obj.loss(batchOf([a as tfc.Tensor2D, b as tfc.Tensor2D])).total)([ha, hb]);
      expectAllClose(g[0], c.grad_ha, 'grad ha');
      expectAllClose(g[1], c.grad_hb, 'grad hb');
      tf.dispose(g);
      const { value, grads } = tf.variableGrads(() => obj.loss(batchOf([ha, hb])).total, obj.variables());
      for (const [key, variable] of Object.entries(obj.getState())) {
        expectAllClose(grads[(variable as tfc.Variable).name], c.grad_state[key], `grad ${key}`);
      }
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors, 'tensors after loss and gradients').to.equal(before);
      tf.dispose([ha, hb]);
      obj.dispose();
    });
  }

  it('predicts with k-means on the backbone features, leaking no tensors', async () => {
    const obj = simclrFactory.create(simclrOptions.parse({ projectionDim: 4 }), context(3, 3)) as SimclrObjective;
    const x = blobs(
      [
        [5, 0, 0],
        [0, 5, 0],
        [0, 0, 5],
      ],
      10,
      7,
    );
    const truth = Int32Array.from({ length: 30 }, (_, i) => Math.floor(i / 10));
    const before = tf.memory().numTensors;
    const readouts = await obj.predict(x);
    expect(tf.memory().numTensors).to.equal(before);
    expect(Object.keys(readouts)).to.deep.equal(['kmeans']);
    expect(samePartition(readouts.kmeans, truth)).to.equal(true);
    expect(obj.clusterSizes()).to.deep.equal({ kmeans: [10, 10, 10] });
    // repeatable: the k-means seed is fixed at construction
    const again = await obj.predict(x);
    expect(Array.from(again.kmeans)).to.deep.equal(Array.from(readouts.kmeans));
    tf.dispose(x);
    obj.dispose();
  });

  it("readout 'both' gives the backbone read-out first, then the head's", async () => {
    const obj = simclrFactory.create(simclrOptions.parse({ projectionDim: 4, readout: 'both', numClusters: 2 }), context(2, 5)) as SimclrObjective;
    const x = blobs(
      [
        [4, 4],
        [-4, -4],
      ],
      8,
      3,
    );
    const before = tf.memory().numTensors;
    const readouts = await obj.predict(x);
    expect(tf.memory().numTensors).to.equal(before);
    expect(Object.keys(readouts)).to.deep.equal(['kmeans', 'kmeans_head']);
    expect(readouts.kmeans_head.length).to.equal(16);
    expect(Math.max(...readouts.kmeans)).to.equal(1); // numClusters option overrides ctx's 5
    expect(Object.keys(obj.clusterSizes())).to.deep.equal(['kmeans', 'kmeans_head']);
    tf.dispose(x);
    obj.dispose();
  });

  it('resolves k-means from the services: fails at construction without eval, honours the signal in predict', async () => {
    const bare = { ...context(3, 3), services: createRegistry().services };
    expect(() => simclrFactory.create(simclrOptions.parse({}), bare)).to.throw(/kmeans.*@clusterflow\/eval/);
    const obj = simclrFactory.create(simclrOptions.parse({ projectionDim: 4, readout: 'both' }), context(3, 3));
    const x = blobs(
      [
        [5, 0, 0],
        [0, 5, 0],
        [0, 0, 5],
      ],
      10,
      7,
    );
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    controller.abort();
    let error: unknown;
    await obj.predict(x, { signal: controller.signal }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(AbortError);
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose(x);
    obj.dispose();
  });

  it('lowers NT-Xent in 15 Adam steps on the head with fixed random features', () => {
    const obj = simclrFactory.create(simclrOptions.parse({ projectionDim: 8 }), context(8, 3));
    const rng = new Rng(4);
    const a = tf.randomNormal([24, 8], 0, 1, 'float32', rng.tfSeed()) as tfc.Tensor2D;
    const b = tf.tidy(() => tf.add(a, tf.randomNormal([24, 8], 0, 0.3, 'float32', rng.tfSeed()))) as tfc.Tensor2D;
    const opt = tf.train.adam(0.01);
    const lossNow = () => tf.tidy(() => obj.loss(batchOf([a, b])).total.dataSync()[0]);
    const first = lossNow();
    for (let i = 0; i < 15; i++) opt.minimize(() => obj.loss(batchOf([a, b])).total, false, obj.variables());
    expect(lossNow()).to.be.lessThan(first - 0.05);
    opt.dispose();
    tf.dispose([a, b]);
    obj.dispose();
  });
});
