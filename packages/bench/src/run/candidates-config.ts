import { z } from 'zod';

/**
 * A bench run's `candidates:`: train `count` seeds for `epochs` epochs each, then go
 * on with the one whose loss term `loss` (its epoch mean at that epoch) is lowest:
 * a label-free choice among restarts, as KMeans' n_init makes one. On Fashion-MNIST
 * the seeds that ended in a poor optimum had the highest CC cluster loss at epoch 5
 * (docs/benchmarks.md, "A label-free loss that marks poor optima").
 */
export const candidatesConfig = z
  .object({
    /** Seeds tried: the run's seed `s`, then `s + 1000`, `s + 2000`, ... (candidateSeed). */
    count: z.number().int().min(2).max(100),
    /** Epochs each candidate trains before they are compared; fewer than the first stage's. */
    epochs: z.number().int().positive(),
    /** The loss term compared, as results.json's perEpoch records it ('cluster', 'total', ...). */
    loss: z.string().min(1).default('total'),
  })
  .strict();

export type Candidates = z.output<typeof candidatesConfig>;

/** Candidate `k`'s seed for a run at `seed`: candidate 0 is the run's own seed, so the plain run is one of them. */
export const candidateSeed = (seed: number, k: number): number => seed + 1000 * k;
