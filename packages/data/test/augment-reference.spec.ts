import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { selectBackend, tf } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { adjustBrightness, adjustContrast, adjustSaturation, cropBoxes, gaussianBlur, perSample, pixelBox } from '@clusterflow/data';
import { fixture } from './support/fixtures.js';

// Expected values from fixtures/make_augment_reference.py (PyTorch, torchvision's formulas).
interface Ref {
  input: number[][];
  brightness: { factors: number[]; out: number[][] };
  contrast: { factors: number[]; out: number[][] };
  saturation: { factors: number[]; out: number[][] };
  blur: { kernelSize: number; sigmas: number[]; out: number[][] };
  cropDown: { boxes: number[][]; size: [number, number]; out: number[][] };
  cropUp: { boxes: number[][]; size: [number, number]; out: number[][] };
}

describe('augmentation kernels vs the PyTorch reference', () => {
  const ref = JSON.parse(readFileSync(fixture('augment-reference.json'), 'utf8')) as Ref;
  let x: tfc.Tensor4D;
  before(async () => {
    await selectBackend('cpu');
    x = tf.tensor4d(ref.input.flat(), [2, 12, 12, 3]);
  });
  after(() => x.dispose());

  function check(got: tfc.Tensor, want: number[][], tol: number) {
    const g = got.dataSync();
    const w = want.flat();
    expect(g.length).to.equal(w.length);
    let max = 0;
    for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(g[i] - w[i]));
    expect(max).to.be.below(tol);
  }

  it('brightness, contrast and saturation match torchvision', () => {
    const n = tf.memory().numTensors;
    tf.tidy(() => {
      check(adjustBrightness(x, perSample(ref.brightness.factors)), ref.brightness.out, 1e-6);
      check(adjustContrast(x, perSample(ref.contrast.factors)), ref.contrast.out, 1e-6);
      check(adjustSaturation(x, perSample(ref.saturation.factors)), ref.saturation.out, 1e-6);
    });
    expect(tf.memory().numTensors).to.equal(n);
  });

  it('per-sample Gaussian blur matches torchvision gaussian_blur (reflect padding)', () => {
    tf.tidy(() => check(gaussianBlur(x, ref.blur.sigmas, ref.blur.kernelSize), ref.blur.out, 1e-5));
  });

  for (const name of ['cropDown', 'cropUp'] as const) {
    it(`cropAndResize with pixelBox boxes matches crop + bilinear resize (${name})`, () => {
      const { boxes, size, out } = ref[name];
      const b = boxes.map(([t, l, h, w]) => pixelBox(t, l, h, w, 12, 12, size[0], size[1]));
      tf.tidy(() => check(cropBoxes(x, b, size), out, 1e-5));
    });
  }
});
