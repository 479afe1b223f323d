import { expect } from 'chai';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import { z } from 'zod';
import { coins, defineTransform, perSample } from '@clusterflow/data';

// The shell every transform is built with: strict options, the id on the product,
// the shape kept unless the definition says otherwise, create's checks run once.
describe('defineTransform', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  const scale = defineTransform({
    id: 'scale-test',
    description: 'multiplies by k',
    options: { k: z.number().default(2) },
    create(o, { sampleShape }) {
      if (sampleShape[2] !== 1) throw new Error(`needs 1 channel, got [${sampleShape}]`);
      return (x) => tf.mul(x, o.k);
    },
  });
  const half = defineTransform({
    id: 'half-test',
    description: 'keeps the top-left quarter',
    options: {},
    outputShape: (s) => [Math.floor(s[0] / 2), Math.floor(s[1] / 2), s[2]],
    create: () => (x) => tf.slice(x, [0, 0, 0, 0], [-1, Math.floor(x.shape[1] / 2), Math.floor(x.shape[2] / 2), -1]),
  });

  it('parses options as a strict object: defaults filled, unknown keys refused by name', () => {
    expect(scale.options.parse({})).to.deep.equal({ k: 2 });
    const r = scale.options.safeParse({ k: 3, kk: 1 });
    expect(r.success).to.equal(false);
    expect(JSON.stringify(r.error?.issues)).to.contain('kk');
  });

  it('builds a transform carrying the id, the identity shape by default, and apply from create', () => {
    const t = scale.create({ k: 3 }, { sampleShape: [2, 2, 1] });
    expect(t.id).to.equal('scale-test');
    expect(t.outputShape([2, 2, 1])).to.deep.equal([2, 2, 1]);
    const x = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
    const y = t.apply(x, new Rng(0));
    expect(Array.from(y.dataSync())).to.deep.equal([3, 3, 3, 3]);
    tf.dispose([x, y]);
  });

  it("uses the definition's outputShape and runs create's checks", () => {
    const t = half.create({}, { sampleShape: [4, 6, 3] });
    expect(t.outputShape([4, 6, 3])).to.deep.equal([2, 3, 3]);
    const x = tf.zeros([2, 4, 6, 3]) as tf.Tensor4D;
    const y = t.apply(x, new Rng(0));
    expect(y.shape).to.deep.equal([2, ...t.outputShape([4, 6, 3])]);
    tf.dispose([x, y]);
    expect(() => scale.create({ k: 1 }, { sampleShape: [2, 2, 3] })).to.throw('needs 1 channel, got [2,2,3]');
  });

  it("docs/augmentation.md's example: invert with probability p, no tensor left behind", () => {
    const invert = defineTransform({
      id: 'invert',
      description: 'Inverts each sample (1 - x) with probability p',
      options: { p: z.number().min(0).max(1).default(0.5).describe('probability that a sample is inverted') },
      create: (o) => (x, rng) => {
        const on = perSample(coins(rng, x.shape[0], o.p).map(Number));
        return tf.add(tf.mul(on, tf.sub(1, x)), tf.mul(tf.sub(1, on), x));
      },
    });
    const x = tf.fill([3, 2, 2, 1], 0.25) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => invert.create(invert.options.parse({ p: 1 }), { sampleShape: [2, 2, 1] }).apply(x, new Rng(0)));
    expect(tf.memory().numTensors).to.equal(before + 1);
    expect(Array.from(y.dataSync())).to.deep.equal(new Array(12).fill(0.75));
    tf.dispose([x, y]);
  });
});
