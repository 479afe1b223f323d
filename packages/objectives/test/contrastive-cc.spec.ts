import type * as tfc from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { ConfigError, Rng, selectBackend, ShapeError, tf, type ObjectiveBatch, type ObjectiveContext } from '@clusterflow/core';
import { ccFactory, ccOptions, type CcObjective } from '../src/contrastive/cc.js';
import { expectAllClose, expectClose, loadFixture, stateTensors } from './support/contrastive.js';
import { testServices } from './support/services.js';
import { runStep } from './support/step.js';

const fixture = loadFixture();

function context(featureDim: number, numClusters: number, seed = 1): ObjectiveContext {
  return { featureDim, numClusters, numSamples: 100, numViews: 2, rng: new Rng(seed), services: testServices() };
}

function batchOf(views: tfc.Tensor2D[], epoch = 0, step = 0): ObjectiveBatch {
  return { indices: Int32Array.from({ length: views[0].shape[0] }, (_, i) => i), views, epoch, step };
}

function randomViews(n: number, f: number, seed: number): [tfc.Tensor2D, tfc.Tensor2D] {
  const rng = new Rng(seed);
  return [tf.randomNormal([n, f], 0, 1, 'float32', rng.tfSeed()) as tfc.Tensor2D, tf.randomNormal([n, f], 0, 1, 'float32', rng.tfSeed()) as tfc.Tensor2D];
}

describe('contrastive: cc objective', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('defaults to the official recipe and rejects unknown options', () => {
    expect(ccOptions.parse({})).to.deep.equal({
      instanceTemperature: 0.5,
      clusterTemperature: 1.0,
      projectionDim: 128,
      entropyWeight: 1.0,
    });
    expect(() => ccOptions.parse({ temprature: 0.5 })).to.throw();
    expect(() => ccOptions.parse({ entropyWeight: -1 })).to.throw();
  });

  it('builds heads of the documented shapes (hidden = featureDim, K = ctx.numClusters)', () => {
    const obj = ccFactory.create(ccOptions.parse({}), context(12, 7));
    const shapes = Object.fromEntries(Object.entries(obj.getState()).map(([k, v]) => [k, (v as tfc.Tensor).shape]));
    expect(shapes).to.deep.equal({
      'instanceHead.0.weight': [12, 12],
      'instanceHead.0.bias': [12],
      'instanceHead.2.weight': [12, 128],
      'instanceHead.2.bias': [128],
      'clusterHead.0.weight': [12, 12],
      'clusterHead.0.bias': [12],
      'clusterHead.2.weight': [12, 7],
      'clusterHead.2.bias': [7],
    });
    expect(obj.variables()).to.have.length(8);
    obj.dispose();
    const other = ccFactory.create(ccOptions.parse({ numClusters: 3, hiddenDim: 5, projectionDim: 4 }), context(12, 7));
    expect((other.getState()['clusterHead.2.weight'] as tfc.Tensor).shape).to.deep.equal([5, 3]);
    expect((other.getState()['instanceHead.2.weight'] as tfc.Tensor).shape).to.deep.equal([5, 4]);
    other.dispose();
  });

  it('refuses a run with other than two views', () => {
    expect(() => ccFactory.create(ccOptions.parse({}), { ...context(4, 3), numViews: 3 })).to.throw(ConfigError);
  });

  for (const c of fixture.cc) {
    it(`matches PyTorch: parts, total and gradients w.r.t. features and head weights (${c.name})`, () => {
      const obj = ccFactory.create(ccOptions.parse({ projectionDim: c.projectionDim, entropyWeight: c.entropyWeight }), context(c.featureDim, c.numClusters));
      const state = stateTensors(c.state);
      obj.setState(state);
      tf.dispose(Object.values(state));
      const ha = tf.tensor2d(c.ha);
      const hb = tf.tensor2d(c.hb);

      const out = obj.loss(batchOf([ha, hb]));
      expectClose(out.parts.instance.dataSync()[0], c.instance, 'instance');
      expectClose(out.parts.cluster.dataSync()[0], c.cluster, 'cluster');
      expectClose(out.parts.entropy.dataSync()[0], c.entropy, 'entropy');
      expectClose(out.total.dataSync()[0], c.loss, 'total');
      const sum = ['instance', 'cluster', 'entropy'].reduce((s, k) => s + out.parts[k].dataSync()[0], 0);
      expect(out.total.dataSync()[0]).to.be.closeTo(sum, 1e-6);
      tf.dispose([out.total, ...Object.values(out.parts), ...Object.values(out.pending!)]);

      const before = tf.memory().numTensors;
      const g = tf.grads((a: tfc.Tensor, b: tfc.Tensor) => {
        const o = obj.loss(batchOf([a as tfc.Tensor2D, b as tfc.Tensor2D]));
        return o.total;
      })([ha, hb]);
      expectAllClose(g[0], c.grad_ha, 'grad ha');
      expectAllClose(g[1], c.grad_hb, 'grad hb');
      tf.dispose(g);

      const { value, grads } = tf.variableGrads(() => obj.loss(batchOf([ha, hb])).total, obj.variables());
      expectClose(value.dataSync()[0], c.loss, 'total under variableGrads');
      for (const [key, variable] of Object.entries(obj.getState())) {
        expectAllClose(grads[(variable as tfc.Variable).name], c.grad_state[key], `grad ${key}`);
      }
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors, 'tensors after loss and gradients').to.equal(before);
      tf.dispose([ha, hb]);
      obj.dispose();
    });
  }

  it('counts the argmax of view 1 in commit (not in loss), leaks nothing there or in predict', async () => {
    const obj = ccFactory.create(ccOptions.parse({ projectionDim: 8 }), context(6, 4)) as CcObjective;
    const [a, b] = randomViews(10, 6, 2);
    const before = tf.memory().numTensors;
    obj.onEpochStart(0);
    const out = obj.loss(batchOf([a, b], 0, 0));
    expect(obj.clusterSizes(), 'loss() counts nothing').to.deep.equal({});
    const assignments = Array.from(await out.pending!.assignments.data());
    expect(out.pending!.assignments.dtype).to.equal('int32');
    await obj.commit({ indices: Int32Array.from({ length: 10 }, (_, i) => i), epoch: 0, step: 0 }, out.pending!);
    tf.dispose([out.total, ...Object.values(out.parts), ...Object.values(out.pending!)]);
    const counted = [0, 0, 0, 0];
    for (const l of assignments) counted[l]++;
    expect(obj.clusterSizes().cluster).to.deep.equal(counted);
    // The training forward's argmax is the eval-mode one: the cluster head has no BatchNorm.
    const evalMode = tf.tidy(() => Array.from(tf.argMax(obj['heads'].clusterHead.apply(a, false), 1).dataSync()));
    expect(assignments).to.deep.equal(evalMode);
    await runStep(obj, batchOf([b, a], 0, 1), obj.variables());
    expect(tf.memory().numTensors, 'after the steps').to.equal(before);
    let sizes = obj.clusterSizes().cluster;
    expect(sizes).to.have.length(4);
    expect(
      sizes.reduce((s, x) => s + x, 0),
      'two steps of 10 counted',
    ).to.equal(20);
    // a new epoch starts the count again
    await runStep(obj, batchOf([a, b], 1, 2), obj.variables());
    expect(obj.clusterSizes().cluster.reduce((s, x) => s + x, 0)).to.equal(10);

    const features = tf.concat([a, b], 0) as tfc.Tensor2D;
    const beforePredict = tf.memory().numTensors;
    const readouts = await obj.predict(features);
    expect(tf.memory().numTensors, 'after predict').to.equal(beforePredict);
    expect(Object.keys(readouts)).to.deep.equal(['cluster']);
    const labels = readouts.cluster;
    expect(labels).to.be.instanceOf(Int32Array);
    expect(labels.length).to.equal(20);
    // argmax of the cluster head, computed here independently
    const state = obj.getState();
    const expected = tf.tidy(() => {
      const hidden = tf.relu(tf.add(tf.matMul(features, state['clusterHead.0.weight'] as tfc.Tensor2D), state['clusterHead.0.bias'] as tfc.Tensor));
      const logits = tf.add(tf.matMul(hidden, state['clusterHead.2.weight'] as tfc.Tensor2D), state['clusterHead.2.bias'] as tfc.Tensor);
      return tf.argMax(logits, 1);
    });
    expect(Array.from(labels)).to.deep.equal(Array.from(expected.dataSync()));
    sizes = obj.clusterSizes().cluster;
    const counts = [0, 0, 0, 0];
    for (const l of labels) counts[l]++;
    expect(sizes).to.deep.equal(counts);
    tf.dispose([a, b, features, expected]);
    obj.dispose();
  });

  it('predicts in row blocks the same labels as in one go', async () => {
    const obj = ccFactory.create(ccOptions.parse({ projectionDim: 4 }), context(3, 5)) as CcObjective;
    const features = tf.randomNormal([5000, 3], 0, 1, 'float32', 9) as tfc.Tensor2D;
    const { cluster } = await obj.predict(features);
    const direct = tf.tidy(() => tf.argMax(obj['heads'].clusterHead.apply(features, false), 1));
    expect(Array.from(cluster)).to.deep.equal(Array.from(direct.dataSync()));
    tf.dispose([features, direct]);
    obj.dispose();
  });

  it('round-trips its state into another instance and rejects a foreign state', () => {
    const o1 = ccFactory.create(ccOptions.parse({ projectionDim: 8 }), context(6, 4, 1));
    const o2 = ccFactory.create(ccOptions.parse({ projectionDim: 8 }), context(6, 4, 2));
    const [a, b] = randomViews(8, 6, 3);
    const lossOf = (o: typeof o1) => tf.tidy(() => o.loss(batchOf([a, b])).total.dataSync()[0]);
    expect(lossOf(o1)).to.not.be.closeTo(lossOf(o2), 1e-4);
    o2.setState(o1.getState());
    expect(lossOf(o2)).to.be.closeTo(lossOf(o1), 1e-6);

    const s = o1.getState();
    const { ['clusterHead.2.bias']: dropped, ...missing } = s;
    expect(dropped).to.not.equal(undefined);
    expect(() => o2.setState(missing)).to.throw(ShapeError, /clusterHead\.2\.bias/);
    expect(() => o2.setState({ ...s, 'projectionHead.0.weight': s['instanceHead.0.weight'] })).to.throw(ShapeError, /projectionHead/);
    const o3 = ccFactory.create(ccOptions.parse({ projectionDim: 8, numClusters: 5 }), context(6, 4, 3));
    const kept = Array.from((o3.getState()['instanceHead.0.weight'] as tfc.Tensor).dataSync());
    expect(() => o3.setState(s)).to.throw(ShapeError, /clusterHead\.2/);
    // nothing was half-loaded: the instance head, checked before the cluster head failed, is unchanged
    expect(Array.from((o3.getState()['instanceHead.0.weight'] as tfc.Tensor).dataSync())).to.deep.equal(kept);
    tf.dispose([a, b]);
    [o1, o2, o3].forEach((o) => o.dispose());
  });

  it('lowers its loss in 15 Adam steps on the heads with fixed random features', () => {
    const obj = ccFactory.create(ccOptions.parse({ projectionDim: 8 }), context(8, 3));
    const [a, b] = randomViews(24, 8, 4);
    const nb = tf.add(a, tf.mul(b, 0.1)) as tfc.Tensor2D; // second view: a perturbed first view
    const opt = tf.train.adam(0.01);
    const lossNow = () => tf.tidy(() => obj.loss(batchOf([a, nb])).total.dataSync()[0]);
    const first = lossNow();
    for (let i = 0; i < 15; i++) {
      const cost = opt.minimize(() => obj.loss(batchOf([a, nb])).total, true, obj.variables());
      cost?.dispose();
    }
    const last = lossNow();
    expect(last).to.be.lessThan(first - 0.05);
    opt.dispose();
    tf.dispose([a, b, nb]);
    obj.dispose();
  });

  it('rejects views of the wrong feature size', () => {
    const obj = ccFactory.create(ccOptions.parse({ projectionDim: 4 }), context(6, 3));
    const [a, b] = randomViews(4, 5, 1);
    expect(() => obj.loss(batchOf([a, b]))).to.throw(ShapeError, /\[B, 6\]/);
    tf.dispose([a, b]);
    obj.dispose();
  });
});
