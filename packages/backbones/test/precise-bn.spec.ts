import { expect } from 'chai';
import { recomputeBatchNormStatistics, Rng, tf, type Backbone } from '@clusterflow/core';
import { convnetBackbone, mlpBackbone } from '@clusterflow/backbones';
import { disposeState, expectClose, fixture, toState, toTensor, type Fixed } from './support/reference.js';

interface PreciseBnCase {
  options: { channels: number[]; featureDim: number; batchNorm: boolean };
  inputShape: number[];
  state: Record<string, Fixed>;
  batches: Fixed[];
  stateAfter: Record<string, Fixed>;
}

/** The fixture's ConvNet with its state before the recomputation. */
function convnetFrom(f: PreciseBnCase): Backbone {
  const b = convnetBackbone(f.inputShape, new Rng(0), f.options);
  const state = toState(f.state);
  b.setState(state);
  disposeState(state);
  return b;
}

describe('recomputeBatchNormStatistics (precise BN)', () => {
  it("gives the ConvNet's running statistics PyTorch's update_bn gives over the same batches, and changes nothing else", async () => {
    const f = fixture<PreciseBnCase>('convnet_precise_bn.json');
    const b = convnetFrom(f);
    const batches = f.batches.map(toTensor);
    const before = tf.memory().numTensors;
    const layers = await recomputeBatchNormStatistics(
      b,
      batches.map((x) => () => x.clone()),
    );
    expect(tf.memory().numTensors, 'tensors left').to.equal(before);
    expect(layers).to.equal(f.options.channels.length);
    const after = b.getState();
    expect(Object.keys(after).sort()).to.deep.equal(Object.keys(f.stateAfter).sort());
    // Statistics recomputed; weights, biases and kernels as they were (stateAfter holds both).
    for (const k of Object.keys(f.stateAfter)) expectClose(after[k], f.stateAfter[k], 1e-4, 1e-6, k);
    const moved = Object.keys(f.state).filter((k) => k.includes('running_'));
    expect(moved).to.have.length(2 * f.options.channels.length);
    tf.dispose(batches);
    b.dispose();
  });

  it('reports 0 layers for a backbone without BatchNorm, and leaves it unchanged', async () => {
    const b = mlpBackbone([4], new Rng(0), { hidden: [3], featureDim: 2 });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    const y0 = b.apply(x, false);
    expect(await recomputeBatchNormStatistics(b, [() => x.clone()])).to.equal(0);
    const y1 = b.apply(x, false);
    expect(Array.from(y1.dataSync())).to.deep.equal(Array.from(y0.dataSync()));
    tf.dispose([x, y0, y1]);
    b.dispose();
  });

  it('stops at a cancelled signal before the next batch, keeping the statistics as they were', async () => {
    const f = fixture<PreciseBnCase>('convnet_precise_bn.json');
    const b = convnetFrom(f);
    const controller = new AbortController();
    const batches = f.batches.map(toTensor);
    const before = tf.memory().numTensors;
    const run = recomputeBatchNormStatistics(
      b,
      batches.map((x, i) => () => {
        if (i === 1) controller.abort();
        return x.clone();
      }),
      controller.signal,
    );
    let error: unknown;
    await run.catch((e) => (error = e));
    expect((error as Error)?.name).to.equal('AbortError');
    expect(tf.memory().numTensors, 'tensors left').to.equal(before);
    const after = b.getState();
    for (const k of Object.keys(f.state)) expectClose(after[k], f.state[k], 1e-6, 1e-7, k);
    tf.dispose(batches);
    b.dispose();
  });
});
