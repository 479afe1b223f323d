import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { selectBackend, tf } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { autocontrast, posterize, sharpness, solarize } from '@clusterflow/data';
import { fixture } from './support/fixtures.js';

// Expected values from fixtures/make_rand_augment_reference.py: PIL 9.4's own
// ImageOps / ImageEnhance on uint8 images (levels 0..255, two 12x12 RGB images).
interface Ref {
  input: number[][];
  autocontrast: { out: number[][] };
  solarize: { thresholds: number[]; out: number[][] };
  posterize: { bits: number[]; out: number[][] };
  sharpness: { factors: number[]; out: number[][] };
}

describe("rand-augment's pixel operations vs PIL", () => {
  const ref = JSON.parse(readFileSync(fixture('rand-augment-reference.json'), 'utf8')) as Ref;
  let x: tfc.Tensor4D;
  before(async () => {
    await selectBackend('cpu');
    x = tf.tensor4d(
      ref.input.flat().map((v) => v / 255),
      [2, 12, 12, 3],
    );
  });
  after(() => x.dispose());

  /** Largest difference in PIL's 0..255 levels. */
  function levels(got: tfc.Tensor, want: number[][]): number {
    const g = got.dataSync();
    const w = want.flat();
    expect(g.length).to.equal(w.length);
    let max = 0;
    for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(g[i] * 255 - w[i]));
    return max;
  }

  it('solarize and posterize are exact', () => {
    tf.tidy(() => {
      expect(
        levels(
          solarize(
            x,
            ref.solarize.thresholds.map((t) => t / 255),
          ),
          ref.solarize.out,
        ),
      ).to.be.below(1e-3);
      expect(levels(posterize(x, ref.posterize.bits), ref.posterize.out)).to.be.below(1e-3);
    });
  });

  it("autocontrast and sharpness agree up to PIL's rounding to whole levels", () => {
    const n = tf.memory().numTensors;
    tf.tidy(() => {
      // PIL truncates the stretched levels (int(i * scale + offset)): up to 1 level off.
      expect(levels(autocontrast(x), ref.autocontrast.out)).to.be.below(1 + 1e-3);
      // PIL rounds the smoothed image (half a level, times 1 - factor) and truncates the blend (one level).
      expect(levels(sharpness(x, ref.sharpness.factors), ref.sharpness.out)).to.be.below(1.5);
    });
    expect(tf.memory().numTensors).to.equal(n);
  });
});
