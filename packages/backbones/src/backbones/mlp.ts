import type * as tfc from '@tensorflow/tfjs-core';
import { tf, type Backbone, type BackboneFactory, type Rng } from '@clusterflow/core';
import { z } from 'zod';
import { mlpHead } from '../blocks/mlp-head.js';
import { compose } from '../blocks/module.js';
import { sizeOf, wrapBackbone } from './wrap.js';

export const mlpOptions = z
  .object({
    /** DEC's embedding size is 10. */
    featureDim: z.number().int().positive().default(10),
    /** Hidden sizes; DEC's encoder is d-500-500-2000-10. */
    hidden: z.array(z.number().int().positive()).default([500, 500, 2000]),
    /** BatchNorm after each hidden Linear (DEC has none). */
    batchNorm: z.boolean().default(false),
  })
  .strict();
export type MlpOptions = z.infer<typeof mlpOptions>;

/**
 * The DEC encoder: input flattened, Linear-ReLU between layers, nothing after the
 * last Linear (the embedding is linear). Input size is the product of inputShape,
 * so [28, 28, 1] and [784] both give 784 inputs. State keys: 'layers.0.weight', ...
 */
export function mlpBackbone(inputShape: readonly number[], rng: Rng, options: Partial<MlpOptions> = {}): Backbone {
  const o = mlpOptions.parse(options);
  const inDim = sizeOf(inputShape);
  const layers = mlpHead([inDim, ...o.hidden, o.featureDim], rng, { batchNorm: o.batchNorm });
  const module = compose({ layers }, (x, training) => tf.tidy(() => layers.apply(tf.reshape(x, [x.shape[0], inDim]), training)));
  return wrapBackbone('mlp', o.featureDim, inputShape, module, (x: tfc.Tensor) =>
    x.rank >= 2 && sizeOf(x.shape.slice(1)) === inDim ? undefined : `expects [B, ...] with ${inDim} values per sample`,
  );
}

export const mlpFactory: BackboneFactory<MlpOptions> = {
  id: 'mlp',
  description: 'DEC encoder MLP: flattened input - 500 - 500 - 2000 - featureDim (ReLU between, linear output)',
  options: mlpOptions,
  create: (options, ctx) => mlpBackbone(ctx.inputShape, ctx.rng, options),
};
