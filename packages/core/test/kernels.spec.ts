import { expect } from 'chai';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import { registerWasmKernels } from '../src/kernels/index.js';
import { input, on, relErr, values } from './support/backend-compare.js';

// Every check computes the same thing on the cpu backend (stock TF.js kernels
// and gradients) and on wasm with clusterflow's kernels, from the same fixed
// pseudo-random inputs, and compares.

type Shape4 = [number, number, number, number];

async function sameOnBoth(f: () => Tensor | Tensor[], tol = 1e-4, cpuF = f): Promise<void> {
  const ref = await on('cpu', cpuF);
  const got = await on('wasm', f);
  expect(got.length).to.equal(ref.length);
  got.forEach((g, i) => expect(relErr(g, ref[i]), `output ${i}`).to.be.below(tol));
}

interface ConvCase {
  x: Shape4;
  f: Shape4;
  s: number | [number, number];
  pad: 'same' | 'valid' | number;
}
const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [3, 9, 7, 5], f: [3, 2, 5, 4], s: 2, pad: 'same' },
  { x: [2, 10, 11, 3], f: [4, 3, 3, 6], s: 2, pad: 'valid' },
  { x: [2, 8, 8, 3], f: [5, 5, 3, 2], s: [3, 2], pad: 'same' },
  { x: [1, 6, 5, 2], f: [1, 1, 2, 3], s: 2, pad: 'valid' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 2], s: 1, pad: 1 },
  // >= 8 input channels: the input gradient takes the XNNPACK-conv path.
  { x: [2, 8, 6, 9], f: [3, 3, 9, 10], s: 1, pad: 'same' },
  { x: [2, 9, 8, 12], f: [3, 3, 12, 5], s: 2, pad: 'same' },
  { x: [2, 9, 8, 8], f: [2, 2, 8, 4], s: 2, pad: 'valid' },
];

const name = (c: object) => JSON.stringify(c).replace(/"/g, '');

describe('wasm kernels', function () {
  this.timeout(60000);

  after(async () => {
    await selectBackend('cpu');
  });

  it('fills the kernels wasm lacks for conv training, idempotently', async () => {
    await selectBackend('wasm');
    registerWasmKernels();
    const names = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];
    for (const k of names) expect(tf.getKernel(k, 'wasm'), k).to.not.equal(undefined);
    const configs = [...names, 'BatchMatMul', 'Conv2DBackpropInput', 'MaxPoolGrad', 'Identity', 'Cast'].map((k) => tf.getKernel(k, 'wasm'));
    registerWasmKernels();
    configs.forEach((cfg, i) => expect(tf.getKernel(cfg!.kernelName, 'wasm')).to.equal(configs[i]));
  });

  it('Identity and same-dtype Cast share the data, as on cpu; other casts convert', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      if (backend === 'wasm') registerWasmKernels();
      const buffers = tf.memory().numDataBuffers;
      const x = input([3, 5], 1);
      const id = tf.engine().runKernel('Identity', { x }) as Tensor;
      const same = tf.cast(x, 'float32');
      expect(id.dataId, `${backend} Identity`).to.equal(x.dataId);
      expect(same.dataId, `${backend} Cast to float32`).to.equal(x.dataId);
      expect(tf.memory().numDataBuffers - buffers).to.equal(1);
      // The data lives while any tensor holds it.
      x.dispose();
      id.dispose();
      expect(Array.from(same.dataSync())).to.deep.equal(Array.from(values(15, 1)));
      same.dispose();
      expect(tf.memory().numDataBuffers).to.equal(buffers);
      const ints = tf.tensor([1.7, -2.2, 3], [3], 'float32');
      const cast = tf.cast(ints, 'int32');
      expect(cast.dataId).to.not.equal(ints.dataId);
      expect(Array.from(cast.dataSync())).to.deep.equal([1, -2, 3]);
      const strings = tf.tensor(['a', 'b']);
      const sid = tf.engine().runKernel('Identity', { x: strings }) as Tensor;
      expect(sid.dataSync()).to.deep.equal(['a', 'b']);
      tf.dispose([ints, cast, strings, sid]);
      expect(tf.memory().numDataBuffers).to.equal(buffers);
    }
  });

  it("tensors saved for the backward pass share the forward's data, and gradients still match cpu", async () => {
    await sameOnBoth(() => {
      const x = input([8, 32], 2),
        w = input([32, 16], 3);
      return tf.grads((a: Tensor, b: Tensor) => {
        const buffers = tf.memory().numDataBuffers;
        const y = tf.relu(tf.matMul(a, b));
        // The tape saved clones of a, b and the product (relu's input); without sharing that is 3 more buffers.
        expect(tf.memory().numDataBuffers - buffers, 'new buffers in the forward').to.equal(2);
        return tf.sum(y);
      })([x, w]);
    });
  });

  for (const c of CONV_CASES) {
    it(`Conv2DBackpropFilter ${name(c)}`, async () => {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad);
      await sameOnBoth(
        () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x: input(c.x, 1), dy: input(info.outShape, 2) }, {
            strides: c.s,
            pad: c.pad,
            dataFormat: 'NHWC',
            filterShape: c.f,
          } as never) as Tensor,
      );
    });
    it(`Conv2DBackpropInput ${name(c)}`, async () => {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad);
      await sameOnBoth(
        () =>
          tf.engine().runKernel('Conv2DBackpropInput', { dy: input(info.outShape, 3), filter: input(c.f, 4) }, {
            strides: c.s,
            pad: c.pad,
            dataFormat: 'NHWC',
            inputShape: c.x,
          } as never) as Tensor,
      );
    });
  }

  const DEPTHWISE: (ConvCase & { d: number })[] = [
    { x: [2, 8, 8, 3], f: [3, 3, 3, 1], s: 1, pad: 'same', d: 1 },
    { x: [2, 9, 7, 3], f: [3, 3, 3, 2], s: 2, pad: 'same', d: 1 },
    { x: [1, 10, 9, 2], f: [2, 3, 2, 3], s: 2, pad: 'valid', d: 1 },
  ];
  for (const c of DEPTHWISE) {
    // Called as kernels: tfjs-core's depthwise gradient refuses dilation > 1, the kernels do not.
    const attrs = { strides: c.s, pad: c.pad, dilations: c.d };
    const outShape = () => tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, c.d, c.pad, undefined, true).outShape;
    it(`DepthwiseConv2dNativeBackpropFilter ${name(c)}`, async () => {
      await sameOnBoth(
        () =>
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: input(c.x, 5), dy: input(outShape(), 6) }, {
            ...attrs,
            filterShape: c.f,
          } as never) as Tensor,
      );
    });
    it(`DepthwiseConv2dNativeBackpropInput ${name(c)}`, async () => {
      await sameOnBoth(
        () =>
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: input(outShape(), 7), filter: input(c.f, 6) }, {
            ...attrs,
            inputShape: c.x,
          } as never) as Tensor,
      );
    });
  }

  // tfjs-core refuses dilated depthwise gradients and the cpu kernels ignore the dilation, so the
  // reference for d = 2 is the undilated kernel with the filter's taps spread apart by zeros
  // (the same convolution), its filter gradient read back at the taps.
  it('depthwise gradients with dilation 2 match the zero-stuffed undilated filter on cpu', async () => {
    const x: Shape4 = [2, 9, 9, 2],
      f: Shape4 = [3, 3, 2, 2],
      d = 2;
    const fv = values(36, 6);
    const big = new Float32Array(5 * 5 * 4);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) big[(i * d * 5 + j * d) * 4 + k] = fv[(i * 3 + j) * 4 + k];
    const outShape = tf.backend_util.computeConv2DInfo(x, f, 1, d, 'same', undefined, true).outShape;
    const inputGrad = (filter: Tensor, dil: number) =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: input(outShape, 7), filter }, {
        strides: 1,
        pad: 'same',
        dilations: dil,
        inputShape: x,
      } as never) as Tensor;
    await sameOnBoth(
      () => inputGrad(tf.tensor4d(fv, f), d),
      1e-4,
      () => inputGrad(tf.tensor4d(big, [5, 5, 2, 2]), 1),
    );
    const filterGrad = (shape: Shape4, dil: number) =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: input(x, 5), dy: input(outShape, 7) }, {
        strides: 1,
        pad: 'same',
        dilations: dil,
        filterShape: shape,
      } as never) as Tensor;
    await sameOnBoth(
      () => filterGrad(f, d),
      1e-4,
      () => tf.stridedSlice(filterGrad([5, 5, 2, 2], 1), [0, 0, 0, 0], [5, 5, 2, 2], [d, d, 1, 1]),
    );
  });

  const POOLS = [
    { x: [2, 8, 8, 3] as Shape4, k: 2, s: 2, pad: 'valid' as const },
    { x: [2, 7, 9, 4] as Shape4, k: 3, s: 2, pad: 'same' as const },
    { x: [1, 6, 6, 2] as Shape4, k: 3, s: 1, pad: 'same' as const },
  ];
  for (const p of POOLS) {
    it(`MaxPoolGrad ${name(p)}, ties included`, async () => {
      await sameOnBoth(() => {
        // relu makes many windows all-zero: the gradient must go to the first one, as on cpu.
        const x = tf.relu(input(p.x, 8)) as Tensor4D;
        const dy = input(tf.maxPool(x, p.k, p.s, p.pad).shape, 9);
        return tf.grad((a) => tf.sum(tf.mul(tf.maxPool(a as Tensor4D, p.k, p.s, p.pad), dy)))(x);
      });
    });
  }

  const MATMULS: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [17, 23], b: [23, 9], ta: false, tb: false },
    { a: [23, 17], b: [23, 9], ta: true, tb: false },
    { a: [17, 23], b: [9, 23], ta: false, tb: true },
    { a: [23, 17], b: [9, 23], ta: true, tb: true },
    { a: [3, 33, 40], b: [3, 40, 35], ta: false, tb: false },
    { a: [3, 40, 33], b: [3, 35, 40], ta: true, tb: true },
    { a: [4, 5, 6], b: [4, 6, 7], ta: false, tb: false }, // small: stock path
  ];
  for (const m of MATMULS) {
    it(`BatchMatMul and its gradient ${name(m)}`, async () => {
      await sameOnBoth(() => {
        const a = input(m.a, 10),
          b = input(m.b, 11);
        const out = tf.matMul(a, b, m.ta, m.tb);
        const dy = input(out.shape, 12);
        return [out, ...tf.grads((p, q) => tf.sum(tf.mul(tf.matMul(p, q, m.ta, m.tb), dy)))([a, b])];
      });
    });
  }

  // Broadcast batches: forward only (tfjs-core's MatMul gradient does not reduce broadcast dims on any backend).
  for (const m of [
    { a: [2, 3, 33, 40], b: [40, 35], ta: false, tb: false },
    { a: [40, 33], b: [4, 35, 40], ta: true, tb: true },
    { a: [1, 33, 40], b: [3, 35, 40], ta: false, tb: true },
  ]) {
    it(`BatchMatMul broadcast ${name(m)}`, async () => {
      await sameOnBoth(() => tf.matMul(input(m.a, 10), input(m.b, 11), m.ta, m.tb));
    });
  }

  it('a small conv net (conv-relu-maxpool-conv-BN-avgpool-dense) has the same gradients on wasm as on cpu', async () => {
    await sameOnBoth(() => {
      const x = input([4, 12, 12, 3], 13) as Tensor4D;
      // No bias on the conv before BN: BN cancels it, so its true gradient is 0 and only rounding noise is left to compare.
      const params = [
        input([3, 3, 3, 8], 14),
        input([8], 15),
        input([3, 3, 8, 12], 16),
        tf.add(1, input([12], 18)),
        input([12], 19),
        input([12, 5], 20),
        input([5], 21),
      ];
      const net = (...p: Tensor[]) => {
        let h = tf.relu(tf.add(tf.conv2d(x, p[0] as Tensor4D, 1, 'same'), p[1])) as Tensor4D;
        h = tf.maxPool(h, 2, 2, 'valid');
        h = tf.conv2d(h, p[2] as Tensor4D, 2, 'same');
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        h = tf.relu(tf.batchNorm(h, mean, variance, p[4], p[3], 1e-5)) as Tensor4D;
        h = tf.avgPool(h, 3, 3, 'valid');
        const out = tf.add(tf.matMul(tf.reshape(h, [4, -1]), p[5]), p[6]);
        return tf.mean(tf.square(out));
      };
      return tf.grads(net)(params);
    });
  });
});
