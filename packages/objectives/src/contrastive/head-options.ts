import { z } from 'zod';

/** The head options CC and SimCLR share (a spread into their schemas, in this order). */
export const projectionHeadOptions = {
  /** Output size of the projection (CC: instance) head. */
  projectionDim: z.number().int().positive().default(128),
  /** Hidden size of the heads; default: the backbone's feature size. */
  hiddenDim: z.number().int().positive().optional(),
  /** Number of clusters K (CC: of its cluster head; SimCLR: of its k-means read-out); default: the run's numClusters. */
  numClusters: z.number().int().min(2).optional(),
};
