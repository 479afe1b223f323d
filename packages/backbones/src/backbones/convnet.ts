import type * as tfc from '@tensorflow/tfjs-core';
import { tf, maxPool2d, type Backbone, type BackboneFactory, type Rng } from '@clusterflow/core';
import { z } from 'zod';
import { batchNorm } from '../blocks/batch-norm.js';
import { conv2d } from '../blocks/conv2d.js';
import { linear } from '../blocks/linear.js';
import { compose, type Layer } from '../blocks/module.js';
import { sequential } from '../blocks/sequential.js';
import { wrapBackbone } from './wrap.js';

export const convnetOptions = z
  .object({
    /** Size of the feature vector; 128, as the throughput reference's linear layer. */
    featureDim: z.number().int().positive().default(128),
    /** Output channels of the 3x3 convs; every conv but the last is followed by a 2x2 max-pool. */
    channels: z.array(z.number().int().positive()).min(1).default([32, 64, 128]),
    /** BatchNorm after each conv. Convs followed by BN carry no bias (BN's β replaces it). */
    batchNorm: z.boolean().default(true),
    /**
     * How the last conv's map becomes the linear layer's input: 'average' (global
     * average pool: one value a channel, where it is on the image is lost) or
     * 'flatten' (the whole map, H'·W'·C values in NHWC order, as the conv-then-dense
     * encoders of small-image clustering (DAC, DCCS) keep the layout).
     */
    pool: z.enum(['average', 'flatten']).default('average'),
  })
  .strict();
export type ConvnetOptions = z.infer<typeof convnetOptions>;

/**
 * A small ConvNet for small images (28x28 grayscale by default, any H x W x C):
 * conv3x3(32)-[BN]-ReLU-maxpool2, conv3x3(64)-[BN]-ReLU-maxpool2,
 * conv3x3(128)-[BN]-ReLU, global average pool (or flatten), linear(128 -> featureDim).
 * Without BN it is the network of the PyTorch throughput reference.
 * State keys: 'features.<i>.weight' (PyTorch nn.Sequential indices), 'fc.weight'.
 */
export function convnetBackbone(inputShape: readonly number[], rng: Rng, options: Partial<ConvnetOptions> = {}): Backbone {
  const o = convnetOptions.parse(options);
  if (inputShape.length !== 3) throw new Error(`convnet wants an [H, W, C] input shape, got [${inputShape}]`);
  const minSide = 2 ** (o.channels.length - 1);
  if (inputShape[0] < minSide || inputShape[1] < minSide) {
    throw new Error(`convnet with ${o.channels.length} convs needs inputs of at least ${minSide}x${minSide}, got [${inputShape}]`);
  }
  const layers: Layer[] = [];
  let inC = inputShape[2];
  o.channels.forEach((c, i) => {
    layers.push(conv2d(inC, c, 3, rng, { padding: 1, bias: !o.batchNorm }));
    if (o.batchNorm) layers.push(batchNorm(c));
    layers.push(tf.relu);
    if (i + 1 < o.channels.length) layers.push((x) => maxPool2d(x as tfc.Tensor4D, 2, 2));
    inC = c;
  });
  const features = sequential(...layers);
  // The map's side after each 2x2 'valid' max-pool: floor(side / 2).
  const [h, w] = [0, 1].map((d) => Math.floor(inputShape[d] / 2 ** (o.channels.length - 1)));
  const fc = linear(o.pool === 'flatten' ? h * w * inC : inC, o.featureDim, rng);
  const reduce = (map: tfc.Tensor): tfc.Tensor => (o.pool === 'flatten' ? tf.reshape(map, [map.shape[0], -1]) : tf.mean(map, [1, 2]));
  const module = compose({ features, fc }, (x, training) => tf.tidy(() => fc.apply(reduce(features.apply(x, training)), training)));
  return wrapBackbone('convnet', o.featureDim, inputShape, module, (x) =>
    x.rank === 4 && x.shape[3] === inputShape[2] ? undefined : `expects [B, H, W, ${inputShape[2]}]`,
  );
}

export const convnetFactory: BackboneFactory<ConvnetOptions> = {
  id: 'convnet',
  description: 'small ConvNet: 3x3 convs 32-64-128 with BN, ReLU, max-pools, global average pool (or flatten), linear to featureDim',
  options: convnetOptions,
  create: (options, ctx) => convnetBackbone(ctx.inputShape, ctx.rng, options),
};
