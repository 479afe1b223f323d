// The kernels clusterflow corrects on WebGPU, against cpu. Runs wherever Dawn finds
// an adapter (CI: SwiftShader through VK_ICD_FILENAMES).
import { expect } from 'chai';
import { selectBackend, tf } from '@clusterflow/core';

/** [m, k, n, transposeA, transposeB] */
const PRODUCTS: [number, number, number, boolean, boolean][] = [
  [16, 2048, 16, false, true], // ConCURL's head backward: the stock split-K path is wrong here
  [16, 2048, 64, false, true],
  [64, 2048, 16, false, true],
  [16, 2048, 16, true, true],
  [16, 1024, 16, false, true],
  [16, 2048, 16, false, false],
  [2048, 16, 16, true, false],
];

async function products(backend: string): Promise<Float32Array[]> {
  await selectBackend(backend);
  return Promise.all(
    PRODUCTS.map(async ([m, k, n, ta, tb]) => {
      const out = tf.tidy(() => {
        const a = tf.randomNormal(ta ? [k, m] : [m, k], 0, 1, 'float32', 1);
        const b = tf.randomNormal(tb ? [n, k] : [k, n], 0, 1, 'float32', 2);
        return tf.matMul(a, b, ta, tb);
      });
      const values = Float32Array.from(await out.data());
      out.dispose();
      return values;
    }),
  );
}

describe('WebGPU kernels against cpu', function () {
  this.timeout(120_000);
  before(async function () {
    try {
      await selectBackend('webgpu');
    } catch (err) {
      console.log(`      (skipped: ${(err as Error).message})`);
      this.skip();
    }
  });
  after(async () => {
    await selectBackend('cpu');
  });

  it('matMul is right for transposed B with a long inner dimension (the stock split-K program is not)', async () => {
    const cpu = await products('cpu');
    const before = tf.memory().numTensors;
    const gpu = await products('webgpu');
    expect(tf.memory().numTensors).to.equal(before);
    PRODUCTS.forEach(([m, k, n, ta, tb], i) => {
      let scale = 0;
      let worst = 0;
      cpu[i].forEach((v, j) => {
        scale = Math.max(scale, Math.abs(v));
        worst = Math.max(worst, Math.abs(v - gpu[i][j]));
      });
      expect(worst / scale, `[${m}, ${k}] x [${k}, ${n}], transposeA ${ta}, transposeB ${tb}`).to.be.at.most(1e-5);
    });
  });
});
