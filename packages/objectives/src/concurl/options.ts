import { z } from 'zod';

/**
 * ConCURL's options. Defaults are the released CIFAR-10 run (run.sh of
 * JayanthRR/ConCURL_NCE, spec concurl.md): tau_e 0.85, bank momentum 0.5,
 * 64 random projections to 152-d, Sinkhorn eps 0.05 with 3 iterations, softmax
 * temperature 0.1, a 2048/256 projection head, 128-d exemplar vectors and the
 * weights alpha = 0, beta = 1, gamma = 1.
 */
export const concurlOptions = z
  .object({
    /** Size of the exemplar vectors v and of the memory bank's rows. */
    exemplarDim: z.number().int().positive().default(128),
    /** tau_e, temperature of the exemplar logits v·M^T. */
    exemplarTemperature: z.number().positive().default(0.85),
    /** m in M[i] <- normalise(m·M[i] + (1-m)·v_i). */
    bankMomentum: z.number().min(0).max(1).default(0.5),
    /** 0: logits against all N bank rows (NPID's LinearAverage). n > 0: the positive plus n uniformly sampled rows (the released NCE uses 4096). */
    negatives: z.number().int().min(0).default(0),
    /** Hidden width of the projection head Linear-BN-ReLU-Linear. */
    projectionHidden: z.number().int().positive().default(2048),
    /** Output width of the projection head (the prototypes' space). */
    projectionDim: z.number().int().positive().default(256),
    /** Number of prototypes K; default the run's numClusters. */
    numPrototypes: z.number().int().min(2).optional(),
    /** M_p, number of fixed random projections of the consensus loss. */
    numProjections: z.number().int().positive().default(64),
    /** d', dimension of each random space. */
    randomDim: z.number().int().positive().default(152),
    /** Sinkhorn-Knopp entropic regularisation. */
    epsilon: z.number().positive().default(0.05),
    /** Sinkhorn-Knopp iterations. */
    sinkhornIterations: z.number().int().min(0).default(3),
    /** Softmax temperature of the predictions in the population and consensus losses. */
    temperature: z.number().positive().default(0.1),
    /** Weight of the population (SwAV) loss. */
    alpha: z.number().min(0).default(0),
    /** Weight of the exemplar loss. */
    beta: z.number().min(0).default(1),
    /** Weight of the consensus loss. */
    gamma: z.number().min(0).default(1),
    /** Let the prototypes receive gradients (the released runs do not: they are only re-normalised). */
    trainPrototypes: z.boolean().default(false),
    /** Rows per chunk when predict() runs the heads over a whole dataset. */
    predictBatch: z.number().int().positive().default(1024),
    /** k-means restarts of the main read-out. */
    kmeansInit: z.number().int().positive().default(10),
  })
  .strict();

export type ConcurlOptions = z.infer<typeof concurlOptions>;
