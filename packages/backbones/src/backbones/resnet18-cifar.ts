import type * as tfc from '@tensorflow/tfjs-core';
import { tf, type Backbone, type BackboneFactory, type Rng } from '@clusterflow/core';
import { z } from 'zod';
import { batchNorm } from '../blocks/batch-norm.js';
import { conv2d } from '../blocks/conv2d.js';
import { compose, type Module } from '../blocks/module.js';
import { wrapBackbone } from './wrap.js';

export const resnet18CifarOptions = z.object({}).strict();
export type Resnet18CifarOptions = z.infer<typeof resnet18CifarOptions>;

/** ResNet-18's stages: output channels and the first block's stride. */
const STAGES = [
  { channels: 64, stride: 1 },
  { channels: 128, stride: 2 },
  { channels: 256, stride: 2 },
  { channels: 512, stride: 2 },
] as const;
const BLOCKS_PER_STAGE = 2;

/** Convs use the ResNet init (kaiming_normal, fan_out, relu) and no bias: BN follows each. */
function conv(inC: number, outC: number, k: number, stride: number, rng: Rng): Module {
  return conv2d(inC, outC, k, rng, { stride, padding: (k - 1) / 2, bias: false, init: 'kaiming-fan-out' });
}

/**
 * BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the shortcut a
 * 1x1 conv + BN where the stride or the width changes (torchvision's 'downsample').
 */
function basicBlock(inC: number, outC: number, stride: number, rng: Rng): Module {
  const conv1 = conv(inC, outC, 3, stride, rng);
  const bn1 = batchNorm(outC);
  const conv2 = conv(outC, outC, 3, 1, rng);
  const bn2 = batchNorm(outC);
  const children: Record<string, Module> = { conv1, bn1, conv2, bn2 };
  let shortcut: ((x: tfc.Tensor, training: boolean) => tfc.Tensor) | undefined;
  if (stride !== 1 || inC !== outC) {
    const dsConv = conv(inC, outC, 1, stride, rng);
    const dsBn = batchNorm(outC);
    // Named like torchvision's nn.Sequential(conv1x1, BatchNorm2d): 'downsample.0', 'downsample.1'.
    children.downsample = compose({ 0: dsConv, 1: dsBn }, (x, t) => dsBn.apply(dsConv.apply(x, t), t));
    shortcut = (x, t) => children.downsample.apply(x, t);
  }
  return compose(children, (x, training) =>
    tf.tidy(() => {
      const h = tf.relu(bn1.apply(conv1.apply(x, training), training));
      const out = bn2.apply(conv2.apply(h, training), training);
      return tf.relu(tf.add(out, shortcut ? shortcut(x, training) : x));
    }),
  );
}

/**
 * ResNet-18 with the CIFAR stem (3x3 stride-1 conv, no max-pool), BasicBlocks
 * [2, 2, 2, 2] of 64/128/256/512 channels with strides 1, 2, 2, 2, global average
 * pool to 512 features and no fc. NHWC. State keys are torchvision's
 * ('conv1.weight', 'bn1.running_mean', 'layer2.0.downsample.0.weight', ...), with
 * kernels stored [kh, kw, in, out]. BN starts at γ = 1, β = 0.
 */
export function resnet18CifarBackbone(inputShape: readonly number[], rng: Rng): Backbone {
  if (inputShape.length !== 3) throw new Error(`resnet18-cifar wants an [H, W, C] input shape, got [${inputShape}]`);
  const conv1 = conv(inputShape[2], 64, 3, 1, rng);
  const bn1 = batchNorm(64);
  const children: Record<string, Module> = { conv1, bn1 };
  const stages: Module[] = [];
  let inC = 64;
  STAGES.forEach(({ channels, stride }, s) => {
    const blocks: Record<string, Module> = {};
    for (let b = 0; b < BLOCKS_PER_STAGE; b++) {
      blocks[b] = basicBlock(inC, channels, b === 0 ? stride : 1, rng);
      inC = channels;
    }
    const stage = compose(blocks, (x, t) => Object.values(blocks).reduce((h, block) => block.apply(h, t), x));
    children[`layer${s + 1}`] = stage;
    stages.push(stage);
  });
  const module = compose(children, (x, training) =>
    tf.tidy(() => {
      let h = tf.relu(bn1.apply(conv1.apply(x, training), training));
      for (const stage of stages) h = stage.apply(h, training);
      return tf.mean(h, [1, 2]);
    }),
  );
  return wrapBackbone('resnet18-cifar', 512, inputShape, module, (x) =>
    x.rank === 4 && x.shape[3] === inputShape[2] ? undefined : `expects [B, H, W, ${inputShape[2]}]`,
  );
}

export const resnet18CifarFactory: BackboneFactory<Resnet18CifarOptions> = {
  id: 'resnet18-cifar',
  description: 'ResNet-18 with the CIFAR stem (3x3 conv, no max-pool), 512 features, kaiming fan-out init',
  options: resnet18CifarOptions,
  create: (_options, ctx) => resnet18CifarBackbone(ctx.inputShape, ctx.rng),
};
