import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { tf, type Augmentation, type AugmentationFactory } from '@clusterflow/core';

export const identityOptions = z.object({ views: z.number().int().positive().default(2).describe('number of (identical) views') }).strict();

export type IdentityOptions = z.infer<typeof identityOptions>;

/** `views` copies of the unchanged batch: for embeddings, where image transforms make no sense. */
export function identityAugmentation(views = 2): Augmentation {
  return {
    id: 'identity',
    numViews: views,
    outputShape: (s) => [...s],
    // Clones, so each view can be disposed on its own without touching the input.
    views: (x: tfc.Tensor) => Array.from({ length: views }, () => tf.clone(x)),
  };
}

export const identity: AugmentationFactory<IdentityOptions> = {
  id: 'identity',
  description: 'numViews copies of the unchanged batch (for vectors/embeddings)',
  options: identityOptions,
  create: (o) => identityAugmentation(o.views),
};
