import { ShapeError, tf } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { chunkRows, CHUNK_ELEMENTS, normalizeRows } from './distance.js';
import { checkFeatures, checkRowLabels } from './feature-checks.js';
import { checkIds } from './validate.js';
import { parseOptions } from './options.js';

/**
 * Weighted kNN defaults of InstDisc (Wu et al. 2018), also used by the MoCo/CMC
 * kNN monitors: k = 200 neighbours by cosine similarity, each voting for its class
 * with weight exp(similarity / 0.07). (solo-learn's online kNN uses k = 20 with the
 * same weighting; pass { k: 20 } to compare with it.)
 */
export const knnOptionsSchema = z
  .object({
    k: z.number().int().positive().default(200),
    temperature: z.number().positive().default(0.07),
    /**
     * Leave-one-out: test row i is train row i and must not vote for itself.
     * Inferred when the same tensor is passed as train and test features.
     */
    excludeSelf: z.boolean().optional(),
  })
  .strict();

export type KnnOptions = z.input<typeof knnOptionsSchema>;

/**
 * Accuracy of a weighted k-nearest-neighbour classifier on `testFeatures`, with
 * `trainFeatures`/`trainLabels` as the memory: the usual judge of representations
 * when labels exist. Similarities are computed chunk by chunk on the backend; only
 * the top-k similarities and indices come back for the vote. k is capped at the
 * number of available neighbours. Ties in the vote go to the smaller label id.
 * Disposes nothing it was given.
 */
export async function knnAccuracy(
  trainFeatures: tfc.Tensor2D,
  trainLabels: Int32Array,
  testFeatures: tfc.Tensor2D,
  testLabels: Int32Array,
  opts: KnnOptions = {},
): Promise<number> {
  const o = parseOptions('knnAccuracy', knnOptionsSchema, opts);
  const excludeSelf = o.excludeSelf ?? trainFeatures === testFeatures;
  await checkFeatures('knnAccuracy', 'trainFeatures', trainFeatures);
  await checkFeatures('knnAccuracy', 'testFeatures', testFeatures);
  const [nTrain, d] = trainFeatures.shape;
  const [nTest, dTest] = testFeatures.shape;
  if (d !== dTest) {
    throw new ShapeError(`knnAccuracy: trainFeatures have ${d} columns but testFeatures have ${dTest}`);
  }
  checkRowLabels('knnAccuracy', 'trainLabels', trainLabels, nTrain);
  checkRowLabels('knnAccuracy', 'testLabels', testLabels, nTest);
  checkIds('knnAccuracy', 'trainLabels', trainLabels);
  checkIds('knnAccuracy', 'testLabels', testLabels);
  if (excludeSelf && nTrain !== nTest) {
    throw new ShapeError(`knnAccuracy: excludeSelf needs train and test of the same rows (train ${nTrain}, test ${nTest})`);
  }
  const k = Math.min(o.k, excludeSelf ? nTrain - 1 : nTrain);
  if (k < 1) throw new ShapeError(`knnAccuracy: leave-one-out needs at least 2 rows, got ${nTrain}`);

  // Dense class ids for the vote, whatever the label ids are.
  const classes = Array.from(new Set(trainLabels)).sort((a, b) => a - b);
  const classOf = new Map(classes.map((c, i) => [c, i]));
  const trainClass = Int32Array.from(trainLabels, (l) => classOf.get(l)!);

  const trainT = tf.tidy(() => normalizeRows(trainFeatures).transpose() as tfc.Tensor2D);
  const votes = new Float64Array(classes.length);
  let correct = 0;
  try {
    const rows = chunkRows(nTest, nTrain, CHUNK_ELEMENTS);
    for (let start = 0; start < nTest; start += rows) {
      const size = Math.min(rows, nTest - start);
      const top = tf.tidy(() => {
        let sim = tf.matMul(normalizeRows(testFeatures.slice([start, 0], [size, -1])), trainT);
        if (excludeSelf) {
          // -inf on the diagonal block of this chunk: row i never meets itself.
          const self = tf.oneHot(tf.range(start, start + size, 1, 'int32'), nTrain).cast('bool');
          sim = tf.where(self, tf.fill(sim.shape, -Infinity), sim);
        }
        return tf.topk(sim, k);
      });
      const [values, indices] = await Promise.all([top.values.data(), top.indices.data()]);
      tf.dispose([top.values, top.indices]);
      for (let r = 0; r < size; r++) {
        votes.fill(0);
        for (let j = 0; j < k; j++) {
          votes[trainClass[indices[r * k + j]]] += Math.exp(values[r * k + j] / o.temperature);
        }
        let best = 0;
        for (let c = 1; c < votes.length; c++) if (votes[c] > votes[best]) best = c;
        if (classes[best] === testLabels[start + r]) correct++;
      }
    }
  } finally {
    trainT.dispose();
  }
  return correct / nTest;
}
