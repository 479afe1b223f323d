import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { HOOK_PRIORITY, selectBackend, tf, train, type Hook, type HookContext, type RunConfigInput, type TrainEvent } from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';
import { FMNIST64 } from './support/fixtures.js';

// The precise-bn hook in a real run on 64 Fashion-MNIST images. A probe hook between
// precise-bn and evaluate recomputes a BatchNorm layer's statistics by hand (over
// every un-augmented image, in batches of the training batch size) and compares:
// the ConvNet's first layer under CC, and SeCu's projector (composed with CC) over
// an MLP's features.

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

/** BatchNorm's statistics by hand: per batch of BATCH rows, the mean and unbiased variance over `axes` per channel, averaged over batches. */
function byBatch(y: tf.Tensor, axes: number[]): { mean: Float32Array; variance: Float32Array } {
  return tf.tidy(() => {
    const means: tf.Tensor[] = [];
    const variances: tf.Tensor[] = [];
    for (let start = 0; start < y.shape[0]!; start += BATCH) {
      const part = y.slice(start, Math.min(BATCH, y.shape[0]! - start));
      const { mean, variance } = tf.moments(part, axes);
      const n = part.size / part.shape[part.rank - 1]!;
      means.push(mean);
      variances.push(tf.mul(variance, n / (n - 1)));
    }
    return { mean: tf.stack(means).mean(0).dataSync() as Float32Array, variance: tf.stack(variances).mean(0).dataSync() as Float32Array };
  });
}

/** A hook that runs `check` at each epoch end, after precise-bn and before the evaluation. */
function probeAfterPreciseBn(check: (ctx: HookContext) => void): Hook {
  return { id: 'probe', priority: (HOOK_PRIORITY.preciseBn + HOOK_PRIORITY.evaluate) / 2, onEpochEnd: check };
}

function expectStatistics(mean: ArrayLike<number>, variance: ArrayLike<number>, want: { mean: Float32Array; variance: Float32Array }): void {
  expect(mean.length).to.equal(want.mean.length);
  for (let c = 0; c < mean.length; c++) {
    expect(mean[c], `mean ${c}`).to.be.closeTo(want.mean[c], 1e-4 + 1e-4 * Math.abs(want.mean[c]));
    expect(variance[c], `variance ${c}`).to.be.closeTo(want.variance[c], 1e-4 + 1e-4 * Math.abs(want.variance[c]));
  }
}

/** The ConvNet's first BatchNorm by hand: its conv over the un-augmented images. */
function firstLayerByHand(images: tf.Tensor4D, kernel: tf.Tensor): { mean: Float32Array; variance: Float32Array } {
  return tf.tidy(() => byBatch(tf.conv2d(images, kernel as tf.Tensor4D, 1, 'same'), [0, 1, 2]));
}

describe('the precise-bn hook in a run', function () {
  this.timeout(120000);
  before(async () => {
    await selectBackend('wasm');
  });

  it("recomputes the ConvNet's statistics over every un-augmented image before the evaluation, leaving no tensor behind", async () => {
    const checked: number[] = [];
    const probe = probeAfterPreciseBn((ctx) => {
      const { dataset, backbone } = ctx.run;
      const state = backbone.getState();
      const images = dataset.batch(new Int32Array(dataset.size).map((_, i) => i)) as tf.Tensor4D;
      const want = firstLayerByHand(images, state['features.0.weight']);
      images.dispose();
      expectStatistics(state['features.1.running_mean'].dataSync(), state['features.1.running_var'].dataSync(), want);
      // The evaluation has not run yet this epoch: the probe sits between the two.
      checked.push(ctx.evaluation?.epoch ?? -1);
    });
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

  it("recomputes the objectives' read-out BatchNorm too (SeCu's projector beside CC), on the backbone's features", async () => {
    const checked: number[] = [];
    const probe = probeAfterPreciseBn((ctx) => {
      const { dataset, backbone, objective } = ctx.run;
      const state = objective.getState();
      const tensor = (name: string) => state[`secu/projection.${name}`] as tf.Tensor;
      const want = tf.tidy(() => {
        const features = backbone.apply(dataset.batch(new Int32Array(dataset.size).map((_, i) => i)), false);
        const projected = tf.add(tf.matMul(features, tensor('0.weight') as tf.Tensor2D), tensor('0.bias'));
        return byBatch(projected, [0]);
      });
      expectStatistics(tensor('1.running_mean').dataSync(), tensor('1.running_var').dataSync(), want);
      checked.push(ctx.epoch);
    });
    const cfg = {
      ...config({ id: 'mlp', options: { featureDim: 8, hidden: [16] } }),
      objective: [{ id: 'cc' }, { id: 'secu', options: { hidden: 12, dim: 6 } }],
    };
    const events = await run(cfg as RunConfigInput, [probe]);
    expect(
      events.some((e) => e.type === 'warning' && e.message.includes('precise-bn')),
      'no warning: the projector has BatchNorm',
    ).to.equal(false);
    expect(checked).to.deep.equal([0, 1]);
  });

  it('warns once when neither the backbone nor the objective has BatchNorm', async () => {
    const events = await run(config({ id: 'mlp', options: { featureDim: 8, hidden: [16] } }));
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings.filter((m) => m.includes('precise-bn'))).to.deep.equal([
      "precise-bn: neither backbone 'mlp' nor objective 'cc' has BatchNorm layers to recompute",
    ]);
  });
});
