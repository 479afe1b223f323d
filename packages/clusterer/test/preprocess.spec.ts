import { expect } from 'chai';
import { InputError, preprocess } from '@clusterflow/clusterer';
import { selectBackend, tf } from '@clusterflow/core';

describe('loadClusterer preprocessing: inputs to the backbone as evaluation feeds it', () => {
  before(() => selectBackend('cpu'));

  it('an RGBA ImageData-like image becomes gray by ITU-R 601 luma, scaled, alpha dropped', () => {
    const n = tf.memory().numTensors;
    // 2 x 1 pixels: pure red and pure white, alpha 128.
    const img = { data: Uint8ClampedArray.of(255, 0, 0, 128, 255, 255, 255, 128), width: 2, height: 1 };
    const x = preprocess(img, { input: 'image', inputShape: [1, 2, 1], pixelScale: 1 / 255 });
    expect(x.shape).to.deep.equal([1, 1, 2, 1]);
    const v = Array.from(x.dataSync());
    expect(v[0]).to.be.closeTo(0.299, 1e-6);
    expect(v[1]).to.be.closeTo(1, 1e-6);
    x.dispose();
    expect(tf.memory().numTensors).to.equal(n);
  });

  it('gray becomes RGB, and another size is resized bilinearly as evaluation resizes', () => {
    const img = { data: Uint8Array.from({ length: 16 }, (_, i) => i * 16), width: 4, height: 4, channels: 1 };
    const x = preprocess(img, { input: 'image', inputShape: [2, 2, 3], pixelScale: 1 / 255 });
    const want = tf.tidy(() =>
      tf.tile(tf.image.resizeBilinear(tf.div(tf.tensor4d(Array.from(img.data), [1, 4, 4, 1]), 255) as tf.Tensor4D, [2, 2]), [1, 1, 1, 3]),
    );
    expect(x.shape).to.deep.equal([1, 2, 2, 3]);
    expect(Array.from(x.dataSync())).to.deep.equal(Array.from(want.dataSync()));
    tf.dispose([x, want]);
  });

  it('vectors of the wrong length, and images for a vector model, are refused with what the model takes', () => {
    expect(() => preprocess([[1, 2, 3]], { input: 'vectors', dim: 4 })).to.throw(InputError, /vectors of 4 values; row 0 has 3/);
    expect(() => preprocess(new Float32Array(6), { input: 'vectors', dim: 4 })).to.throw(InputError, /6 values, not a whole number/);
    expect(() => preprocess({ data: new Uint8Array(4), width: 2, height: 2 }, { input: 'vectors', dim: 4 })).to.throw(InputError, /takes vectors/);
    expect(() => preprocess({ data: new Uint8Array(20), width: 2, height: 2 }, { input: 'image', inputShape: [2, 2, 3], pixelScale: 1 })).to.throw(
      InputError,
      /3 channel\(s\); got 5/,
    );
  });
});
