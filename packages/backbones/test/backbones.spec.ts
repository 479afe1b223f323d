import { expect } from 'chai';
import { createRegistry, Rng, ShapeError, selectBackend, tf, type Backbone, type TensorMap } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { convnetBackbone, convnetOptions, mlpBackbone, register, resnet18CifarBackbone } from '@clusterflow/backbones';
import { disposeState, expectClose, fixture, toState, toTensor } from './support/reference.js';

function paramCount(b: { variables(): tfc.Variable[] }): number {
  return b.variables().reduce((n, v) => n + v.size, 0);
}

/** State key of each trainable variable, so gradients can be matched to PyTorch's names. */
function trainableKeys(b: Backbone): Map<string, string> {
  const trainable = new Set<tfc.Tensor>(b.variables());
  const keys = new Map<string, string>();
  for (const [k, v] of Object.entries(b.getState())) if (trainable.has(v)) keys.set(k, (v as tfc.Variable).name);
  return keys;
}

const counts = fixture('counts.json');

/** make_fixtures.py's `formula`: deterministic weights, so an 11M-parameter forward needs no weight fixture. */
function formulaState(shapes: Record<string, number[]>): TensorMap {
  const out: TensorMap = {};
  for (const [key, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let phase = 0;
    for (const c of key) phase += c.charCodeAt(0);
    phase = (phase % 97) / 10;
    const v = new Float32Array(n);
    const bnWeight = key.endsWith('bn1.weight') || key.endsWith('bn2.weight') || key.endsWith('downsample.1.weight');
    const scale = shape.length === 4 ? 2 / Math.sqrt(shape[0] * shape[1] * shape[2]) : 0.1;
    for (let i = 0; i < n; i++) {
      const s = Math.sin(0.37 * i + phase);
      v[i] = key.endsWith('running_var') ? 1 + 0.5 * s * s : bnWeight ? 1 + 0.1 * s : scale * s;
    }
    out[key] = tf.tensor(v, shape);
  }
  return out;
}

describe('backbones', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  describe('mlp', () => {
    it("is the DEC layout 784-500-500-2000-10 with PyTorch's parameter count", () => {
      const b = mlpBackbone([28, 28, 1], new Rng(0));
      expect(b.featureDim).to.equal(10);
      expect(paramCount(b)).to.equal(counts.mlp_784_default);
      const shapes = Object.fromEntries(Object.entries(b.getState()).map(([k, v]) => [k, v.shape]));
      expect(shapes).to.deep.equal({
        'layers.0.weight': [784, 500],
        'layers.0.bias': [500],
        'layers.2.weight': [500, 500],
        'layers.2.bias': [500],
        'layers.4.weight': [500, 2000],
        'layers.4.bias': [2000],
        'layers.6.weight': [2000, 10],
        'layers.6.bias': [10],
      });
      b.dispose();
    });

    it('flattens its input: [B, 28, 28, 1] and [B, 784] give the same features; a wrong size is a ShapeError', () => {
      const b = mlpBackbone([28, 28, 1], new Rng(0), { featureDim: 6, hidden: [16] });
      const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 1);
      const flat = tf.reshape(x, [2, 784]);
      const y1 = b.apply(x, false),
        y2 = b.apply(flat, false);
      expect(y1.shape).to.deep.equal([2, 6]);
      expect(Array.from(y1.dataSync())).to.deep.equal(Array.from(y2.dataSync()));
      const wrong = tf.zeros([2, 783]);
      expect(() => b.apply(wrong, false)).to.throw(ShapeError, /784 values per sample.*\[2,783\]/);
      tf.dispose([x, flat, y1, y2, wrong]);
      b.dispose();
    });

    it('has a linear last layer (negative features occur) and BN when asked', () => {
      const b = mlpBackbone([12], new Rng(3), { featureDim: 8, hidden: [16, 16], batchNorm: true });
      expect(Object.keys(b.getState())).to.include('layers.1.running_var');
      const x = tf.randomNormal([16, 12], 0, 1, 'float32', 2);
      const y = b.apply(x, true);
      expect(tf.min(y).dataSync()[0]).to.be.below(0);
      tf.dispose([x, y]);
      b.dispose();
    });

    it('leaves no tensors behind after a training-mode forward and backward', () => {
      const b = mlpBackbone([8, 8, 1], new Rng(0), { batchNorm: true });
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 5);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(b.apply(x, true))) as tfc.Scalar, b.variables());
      expect(Object.keys(grads)).to.have.length(b.variables().length);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).to.equal(before);
      x.dispose();
      b.dispose();
    });
  });

  describe('convnet', () => {
    it("has PyTorch's parameter count by default, with BN, and without BN (the throughput reference)", () => {
      const b = convnetBackbone([28, 28, 1], new Rng(0));
      expect(b.featureDim).to.equal(128);
      expect(paramCount(b)).to.equal(counts.convnet_28x28x1_default);
      const all = Object.values(b.getState()).reduce((n, v) => n + v.size, 0);
      expect(all - paramCount(b)).to.equal(counts.convnet_28x28x1_default_buffers);
      const nobn = convnetBackbone([28, 28, 1], new Rng(0), { batchNorm: false });
      expect(paramCount(nobn)).to.equal(counts.convnet_28x28x1_nobn);
      b.dispose();
      nobn.dispose();
    });

    for (const [name, file] of [
      ['global average pool', 'convnet.json'],
      ["pool: 'flatten' (the map in NHWC order; odd sides)", 'convnet_flatten.json'],
    ])
      it(`forward and gradient in training mode, running stats and inference match PyTorch: ${name}`, () => {
        const f = fixture(file);
        const b = convnetBackbone(f.inputShape, new Rng(0), f.options);
        const state = toState(f.state);
        b.setState(state);
        disposeState(state);
        const x = toTensor(f.input);
        const w = toTensor(f.lossWeights);
        const before = tf.memory().numTensors;
        let out: tfc.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const y = b.apply(x, true);
          out = tf.keep(y.clone());
          return tf.sum(tf.mul(y, w)) as tfc.Scalar;
        }, b.variables());
        const rel = { out: expectClose(out!, f.trainOutput, 1e-4, 1e-5, 'train output'), grad: 0 };
        expect(value.dataSync()[0]).to.be.closeTo(f.loss, 1e-4 * Math.abs(f.loss) + 1e-5);
        const keys = trainableKeys(b);
        expect([...keys.keys()].sort()).to.deep.equal(Object.keys(f.grads).sort());
        for (const [key, varName] of keys) {
          rel.grad = Math.max(rel.grad, expectClose(grads[varName], f.grads[key], 1e-4, 1e-5, `grad ${key}`));
        }
        tf.dispose([value, out!, ...Object.values(grads)]);
        expect(tf.memory().numTensors).to.equal(before);
        const after = b.getState();
        for (const k of Object.keys(f.stateAfterTrain)) expectClose(after[k], f.stateAfterTrain[k], 1e-4, 1e-6, k);
        const yEval = b.apply(x, false);
        expectClose(yEval, f.evalOutput, 1e-4, 1e-5, 'eval output');
        console.log(`      convnet vs PyTorch: max rel error output ${rel.out.toExponential(2)}, gradients ${rel.grad.toExponential(2)}`);
        tf.dispose([x, w, yEval]);
        b.dispose();
      });

    it('takes any H x W x C and checks the channel count', () => {
      const b = convnetBackbone([6, 5, 3], new Rng(0), { channels: [4, 4], featureDim: 3 });
      const x = tf.ones([2, 6, 5, 3]);
      const y = b.apply(x, true);
      expect(y.shape).to.deep.equal([2, 3]);
      const wrong = tf.ones([2, 6, 5, 1]);
      expect(() => b.apply(wrong, false)).to.throw(ShapeError, /\[B, H, W, 3\]/);
      tf.dispose([x, y, wrong]);
      b.dispose();
    });

    it('rejects unknown options', () => {
      expect(convnetOptions.safeParse({ featureDims: 3 }).success).to.equal(false);
      expect(convnetOptions.parse({})).to.deep.equal({ featureDim: 128, channels: [32, 64, 128], batchNorm: true, pool: 'average' });
      expect(convnetOptions.safeParse({ pool: 'max' }).success).to.equal(false);
    });
  });

  describe('resnet18-cifar', () => {
    const r = fixture('resnet18_cifar.json');
    let net: Backbone;
    before(() => {
      net = resnet18CifarBackbone([32, 32, 3], new Rng(0));
    });
    after(() => net.dispose());

    it("has the PyTorch parameter count (11,168,832 without fc) and torchvision's state names and shapes", () => {
      expect(r.trainableParams).to.equal(11168832);
      expect(r.trainableParamsWithFc10).to.equal(11173962);
      expect(paramCount(net)).to.equal(r.trainableParams);
      expect(paramCount(net) + 512 * 10 + 10).to.equal(r.trainableParamsWithFc10);
      const shapes = Object.fromEntries(Object.entries(net.getState()).map(([k, v]) => [k, v.shape]));
      expect(shapes).to.deep.equal(r.stateShapes);
      const all = Object.values(net.getState()).reduce((n, v) => n + v.size, 0);
      expect(all - paramCount(net)).to.equal(r.bufferValues);
    });

    it('initialises convs with kaiming normal (fan_out, relu) and BN with γ = 1, β = 0', () => {
      const s: TensorMap = net.getState();
      const w = s['layer3.0.conv2.weight']; // 3x3, 256 -> 256: fan_out 2304
      const std = Math.sqrt(tf.tidy(() => tf.mean(tf.square(w))).dataSync()[0]);
      expect(std).to.be.closeTo(Math.sqrt(2 / 2304), 0.02 * Math.sqrt(2 / 2304));
      expect(Array.from(s['layer3.0.bn2.weight'].dataSync()).every((v) => v === 1)).to.equal(true);
      expect(Array.from(s['layer3.0.bn2.bias'].dataSync()).every((v) => v === 0)).to.equal(true);
    });

    it('inference forward matches PyTorch (formula weights, stride-2 padding and shortcuts included)', () => {
      const f = fixture('resnet18_cifar_forward.json');
      const b = resnet18CifarBackbone(f.inputShape, new Rng(1));
      const state = formulaState(r.stateShapes);
      b.setState(state);
      disposeState(state);
      const x = toTensor(f.input);
      const y = b.apply(x, false);
      const rel = expectClose(y, f.evalOutput, 1e-4, 1e-5, 'resnet eval output');
      console.log(`      resnet18-cifar vs PyTorch: max rel error ${rel.toExponential(2)}`);
      tf.dispose([x, y]);
      b.dispose();
    });

    it('maps a tiny input to 512 features; training forward+backward leaves no tensors behind', () => {
      const x = tf.randomUniform([2, 4, 4, 3], 0, 1, 'float32', 7);
      const yEval = net.apply(x, false);
      expect(yEval.shape).to.deep.equal([2, 512]);
      expect(r.outputShape).to.deep.equal([2, 512]);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.apply(x, true))) as tfc.Scalar, net.variables());
      expect(Object.keys(grads)).to.have.length(net.variables().length);
      expect(Number.isFinite(value.dataSync()[0])).to.equal(true);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).to.equal(before);
      tf.dispose([x, yEval]);
    });
  });

  it('register adds mlp, convnet and resnet18-cifar, built through their option schemas', () => {
    const registry = createRegistry();
    register(registry.registrar('builtin:@clusterflow/backbones'));
    expect(
      registry
        .list('backbone')
        .map((e) => e.factory.id)
        .sort(),
    ).to.deep.equal(['convnet', 'mlp', 'resnet18-cifar']);
    const f = registry.get('backbone', 'mlp');
    const b = f.create(f.options.parse({ featureDim: 4, hidden: [8] }), { inputShape: [3, 3, 1], rng: new Rng(0) });
    expect(b.id).to.equal('mlp');
    expect(b.featureDim).to.equal(4);
    expect(b.inputShape).to.deep.equal([3, 3, 1]);
    b.dispose();
    expect(() => registry.get('backbone', 'resnet18-cifar').options.parse({ width: 2 })).to.throw();
  });
});
