import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { HOOK_PRIORITY, selectBackend, tf, train, type Hook, type RunConfigInput, type TrainEvent } from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';
import { FMNIST64 } from './support/fixtures.js';

// The precise-bn hook in a real run: the ConvNet on 64 Fashion-MNIST images, CC on
// augmented views. A probe hook between precise-bn and evaluate recomputes the first
// BatchNorm layer's statistics by hand (its conv over every un-augmented image, in
// batches of the training batch size) and compares.

const BATCH = 16;

function config(backbone: RunConfigInput['backbone'], hookOptions: Record<string, unknown> = {}): RunConfigInput {
  return {
    name: 'precise-bn',
    seed: 0,
    backend: 'wasm',
    data: FMNIST64,
    backbone,
    numClusters: 10,
    objective: [{ id: 'cc' }],
    train: { epochs: 2, batchSize: BATCH, maxStepsPerEpoch: 2 },
    hooks: [{ id: 'precise-bn', options: hookOptions }],
  } as RunConfigInput;
}

async function run(cfg: RunConfigInput, hooks: Hook[] = []): Promise<TrainEvent[]> {
  return lastValueFrom(train(cfg, { registry: defaultRegistry(), hooks, logger: { info: () => {}, warn: () => {} } }).pipe(toArray()));
}

/** The first BatchNorm's statistics by hand: per batch of un-augmented rows, the conv output's mean and unbiased variance per channel, averaged over batches. */
function firstLayerByHand(images: tf.Tensor4D, kernel: tf.Tensor): { mean: Float32Array; variance: Float32Array } {
  return tf.tidy(() => {
    const means: tf.Tensor[] = [];
    const variances: tf.Tensor[] = [];
    for (let start = 0; start < images.shape[0]; start += BATCH) {
      const y = tf.conv2d(images.slice(start, Math.min(BATCH, images.shape[0] - start)), kernel as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      const n = y.size / y.shape[3]!;
      means.push(mean);
      variances.push(tf.mul(variance, n / (n - 1)));
    }
    return { mean: tf.stack(means).mean(0).dataSync() as Float32Array, variance: tf.stack(variances).mean(0).dataSync() as Float32Array };
  });
}

describe('the precise-bn hook in a run', function () {
  this.timeout(120000);
  before(async () => {
    await selectBackend('wasm');
  });

  it("recomputes the ConvNet's statistics over every un-augmented image before the evaluation, leaving no tensor behind", async () => {
    const checked: number[] = [];
    const probe: Hook = {
      id: 'probe',
      priority: (HOOK_PRIORITY.preciseBn + HOOK_PRIORITY.evaluate) / 2,
      onEpochEnd(ctx) {
        const { dataset, backbone } = ctx.run;
        const state = backbone.getState();
        const images = dataset.batch(new Int32Array(dataset.size).map((_, i) => i)) as tf.Tensor4D;
        const want = firstLayerByHand(images, state['features.0.weight']);
        const mean = state['features.1.running_mean'].dataSync();
        const variance = state['features.1.running_var'].dataSync();
        images.dispose();
        for (let c = 0; c < mean.length; c++) {
          expect(mean[c]).to.be.closeTo(want.mean[c], 1e-4 + 1e-4 * Math.abs(want.mean[c]));
          expect(variance[c]).to.be.closeTo(want.variance[c], 1e-4 + 1e-4 * Math.abs(want.variance[c]));
        }
        // The evaluation has not run yet this epoch: the probe sits between the two.
        checked.push(ctx.evaluation?.epoch ?? -1);
      },
    };
    const before = tf.memory().numTensors;
    const events = await run(config({ id: 'convnet', options: { channels: [4, 8], featureDim: 8 } }), [probe]);
    expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
    expect(events[events.length - 1].type).to.equal('complete');
    expect(checked).to.deep.equal([-1, 0]);
  });

  it('changes what the evaluation sees, and only that: the same run without it trains the same weights', async () => {
    const backbone = { id: 'convnet', options: { channels: [4, 8], featureDim: 8 } } as const;
    const withHook = await run(config(backbone));
    const { hooks: _, ...plain } = config(backbone);
    const without = await run(plain as RunConfigInput);
    const losses = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.loss.total] : []));
    expect(losses(withHook)).to.deep.equal(losses(without));
    const acc = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'epoch-end' ? [e.metrics.nmi] : []));
    expect(acc(withHook)).to.not.deep.equal(acc(without));
  });

  it('warns once when the backbone has no BatchNorm', async () => {
    const events = await run(config({ id: 'mlp', options: { featureDim: 8, hidden: [16] } }));
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings.filter((m) => m.includes('precise-bn'))).to.deep.equal(["precise-bn: backbone 'mlp' has no BatchNorm layers to recompute"]);
  });
});
