import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { selectBackend, tf } from '@clusterflow/core';
import type { NativeModule } from '@clusterflow/native';
import { input, on, relErr } from './support/backend-compare.js';
import { nativeConvStats } from '../src/kernels/native-conv.js';
import { loadNativeAddon, tryRegisterNativeKernels } from '../src/kernels/native-matmul.js';

// The addon's convolutions on oneDNN (packages/native/src/dnnl_conv.c) against
// the cpu backend's stock kernels and gradients, each op on oneDNN alone and
// all three together; then the same with oneDNN switched off (the OpenBLAS
// patch matrices), in process and by CLUSTERFLOW_NO_DNNL=1 at load. Skipped,
// with the reason, where the addon is not built or was built without oneDNN.

type Shape4 = [number, number, number, number];
interface Conv {
  x: Shape4;
  f: Shape4;
  s: number | [number, number];
  pad: 'same' | 'valid' | number;
  why: string;
}

/** The backbones' geometries (3x3 'same' and pad 1, 1x1 stride-2 shortcuts), odd sizes, batch 1 and odd batches. */
const CONVS: Conv[] = [
  { x: [4, 12, 12, 8], f: [3, 3, 8, 16], s: 1, pad: 'same', why: 'the ConvNet' },
  { x: [8, 13, 11, 6], f: [3, 3, 6, 20], s: 2, pad: 'same', why: 'stride 2, odd sizes (same pads bottom/right only)' },
  { x: [3, 17, 15, 5], f: [5, 3, 5, 24], s: [2, 1], pad: 'valid', why: 'valid leaves the last row unread; batch 3 splits 2 + 1' },
  { x: [2, 10, 9, 12], f: [3, 4, 12, 16], s: 1, pad: 1, why: 'explicit padding, even filter width' },
  { x: [5, 16, 16, 32], f: [3, 3, 32, 32], s: 2, pad: 1, why: "ResNet-18's stride-2 3x3" },
  { x: [6, 16, 16, 32], f: [1, 1, 32, 64], s: 2, pad: 'valid', why: "ResNet-18's 1x1 stride-2 shortcut" },
  { x: [8, 16, 16, 32], f: [1, 1, 32, 40], s: 1, pad: 'valid', why: '1x1 stride 1' },
  { x: [1, 20, 19, 16], f: [3, 3, 16, 24], s: 1, pad: 'same', why: 'batch 1' },
  { x: [16, 28, 28, 1], f: [3, 3, 1, 32], s: 1, pad: 'same', why: "the ConvNet's 1-channel first layer" },
  // 2304 patch floats a row: with oneDNN off, the OpenBLAS path builds its patches in several blocks a thread.
  { x: [5, 12, 12, 256], f: [3, 3, 256, 4], s: 1, pad: 1, why: 'many input channels' },
  { x: [4, 13, 11, 256], f: [3, 3, 256, 3], s: 2, pad: 'same', why: 'many input channels, stride 2' },
];

/** conv2d with its gradients with respect to x and the filter, from fixed inputs. */
function convAndGrads(c: Conv): () => Tensor[] {
  return () => {
    const x = input(c.x, 60) as Tensor4D,
      f = input(c.f, 61) as Tensor4D;
    const y = tf.conv2d(x, f, c.s, c.pad);
    const dy = input(y.shape, 62);
    const [dx, df] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, c.s, c.pad), dy)))([x, f]);
    return [y, dx, df];
  };
}

describe('native convolutions on oneDNN (@clusterflow/native built with libdnnl)', function () {
  this.timeout(120_000);
  let native: NativeModule;
  let loaded = 0;

  before(async function () {
    native = await loadNativeAddon();
    const info = native.available ? native.getConvInfo?.() : undefined;
    if (!info?.dnnl) {
      console.log(`    skipped: ${native.available ? 'the addon was built without oneDNN (libdnnl-dev)' : native.reason}`);
      this.skip();
    }
    loaded = info.ops;
    await selectBackend('wasm');
    const r = await tryRegisterNativeKernels();
    if (!r.used) throw new Error(`the addon loaded but its kernels did not register: ${r.reason}`);
    console.log(`    convolutions: ${native.convolutions}`);
  });
  after(() => native?.setConvDnnl?.(loaded));

  /** Runs c on cpu and on wasm with the given ops on oneDNN; returns how many convs ran natively and on oneDNN. */
  async function compare(c: Conv, mask: number): Promise<{ native: number; dnnl: number }> {
    native.setConvDnnl!(mask);
    const ref = await on('cpu', convAndGrads(c));
    const calls = nativeConvStats.calls,
      dnnl = native.getConvInfo!().calls;
    const got = await on('wasm', convAndGrads(c));
    ['y', 'dx', 'dw'].forEach((name, i) => expect(relErr(got[i], ref[i]), name).to.be.below(1e-4));
    return { native: nativeConvStats.calls - calls, dnnl: native.getConvInfo!().calls - dnnl };
  }

  for (const c of CONVS) {
    it(`all three on oneDNN: x ${c.x}, filter ${c.f}, stride ${c.s}, pad ${c.pad} (${c.why})`, async () => {
      const n = await compare(c, 7);
      expect(n.native, 'native convs').to.be.at.least(2);
      expect(n.dnnl, 'of them on oneDNN').to.equal(n.native);
    });
  }

  // One op on oneDNN, the others on OpenBLAS: each path's own values and gradients
  // (tf.grads runs the forward conv again, so it is on oneDNN twice).
  for (const [bit, name, times] of [
    [1, 'forward', 2],
    [2, 'filter gradient', 1],
    [4, 'input gradient', 1],
  ] as const) {
    it(`the ${name} alone on oneDNN`, async () => {
      for (const c of [CONVS[1], CONVS[2], CONVS[7]]) expect((await compare(c, bit)).dnnl, `${c.why}`).to.equal(times);
      expect(native.getConvInfo!().impl[Math.log2(bit)], 'implementation reported').to.be.a('string');
    });
  }

  it('switched off (setConvDnnl(0)), the OpenBLAS path runs every conv and still matches cpu', async () => {
    for (const c of CONVS) {
      const n = await compare(c, 0);
      expect(n.dnnl, c.why).to.equal(0);
      expect(n.native, c.why).to.be.at.least(2);
    }
  });

  it('gives the same values when a step repeats on its cached primitives', async () => {
    native.setConvDnnl!(7);
    const a = await on('wasm', convAndGrads(CONVS[4])),
      b = await on('wasm', convAndGrads(CONVS[4]));
    a.forEach((v, i) => expect(Array.from(b[i])).to.deep.equal(Array.from(v)));
  });

  it('CLUSTERFLOW_NO_DNNL=1 keeps every conv on OpenBLAS for the process, and says so', function () {
    this.timeout(60_000);
    const script = [
      "import { selectBackend, tf } from '@clusterflow/core';",
      "import { tryRegisterNativeKernels, loadNativeAddon } from './packages/core/src/kernels/native-matmul.ts';",
      "await selectBackend('wasm');",
      'const r = await tryRegisterNativeKernels();',
      'const native = await loadNativeAddon();',
      'const y = tf.conv2d(tf.ones([4, 12, 12, 8]), tf.ones([3, 3, 8, 16]), 1, "same");',
      'const v = y.dataSync(); y.dispose();',
      'console.log(JSON.stringify({ used: r.used, convolutions: native.convolutions, info: native.getConvInfo(), corner: v[0], middle: v[(5 * 12 + 5) * 16] }));',
    ].join('\n');
    const out = spawnSync(process.execPath, ['--conditions=source', '--import=tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, CLUSTERFLOW_NO_DNNL: '1' },
      encoding: 'utf8',
    });
    expect(out.status, out.stderr).to.equal(0);
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as {
      used: boolean;
      convolutions: string;
      info: { ops: number; calls: number };
      corner: number;
      middle: number;
    };
    expect(r.used).to.equal(true);
    expect(r.convolutions).to.match(/^OpenBLAS patch matrices \(oneDNN .* off: CLUSTERFLOW_NO_DNNL=1\)$/);
    expect(r.info.ops).to.equal(0);
    expect(r.info.calls).to.equal(0);
    expect([r.corner, r.middle]).to.deep.equal([4 * 8, 9 * 8]); // a 2x2 corner window and a full 3x3 one, of 8 channels
  });
});
