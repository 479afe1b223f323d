import { z } from 'zod';
import type { ComponentRef, Dataset, DatasetFactory } from '@clusterflow/core';

/**
 * A dataset factory for a dataset already in memory (typed arrays a page made
 * from a user's files, vectors computed elsewhere): registered under the
 * dataset's id, a config names it like any other (`data: { id }`, no options).
 * `defaults` are the augmentation and backbone a run gets when its config names none.
 */
export function inMemoryDataset(dataset: Dataset, defaults?: { augmentation?: ComponentRef; backbone?: ComponentRef }): DatasetFactory<Record<string, never>> {
  return {
    id: dataset.id,
    description: `in memory: ${dataset.describe?.() ?? `${dataset.size} samples of shape [${dataset.sampleShape}]`}`,
    options: z.object({}).strict() as z.ZodType<Record<string, never>>,
    defaults,
    async create() {
      return dataset;
    },
  };
}
