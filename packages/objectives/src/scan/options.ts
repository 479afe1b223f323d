import { z } from 'zod';

/**
 * Options of `scan`. Defaults: SCAN's (configs/scan/*.yml): entropy weight 5.0,
 * 20 neighbours; 10 heads, as its multi-head runs (ImageNet) train them and keep
 * the lowest-loss one (its CIFAR and STL configs train one).
 */
export const scanOptions = z
  .object({
    /** Number of cluster heads trained side by side; the lowest-loss one is read out. */
    numHeads: z.number().int().min(1).default(10),
    /** Weight of the entropy of the mean prediction (SCAN's entropy_weight). */
    entropyWeight: z.number().min(0).default(5),
    /** Neighbours mined per sample (SCAN's num_neighbors). */
    k: z.number().int().min(1).default(20),
    /** Number of clusters K of every head; default: the run's numClusters. */
    numClusters: z.number().int().min(2).optional(),
  })
  .strict();

export type ScanOptions = z.output<typeof scanOptions>;
