import { z } from 'zod';

/**
 * Options of `self-label`. Defaults: SCAN's self-labelling (configs/selflabel/*.yml:
 * confidence_threshold 0.99, apply_class_balancing True, use_ema False), plus the
 * per-class cap and SPICE's fallback, both in units of a class's uniform share of
 * the batch, B / K.
 */
export const selfLabelOptions = z
  .object({
    /** Number of clusters K of the head; default: the run's numClusters (an initial head must match). */
    numClusters: z.number().int().min(2).optional(),
    /** A weak-view prediction is a pseudo-label when its largest probability exceeds this. */
    threshold: z.number().min(0).max(1).default(0.99),
    /** Weight each class by n / (its count) among the batch's pseudo-labels (SCAN's apply_class_balancing). */
    classBalance: z.boolean().default(true),
    /** A class keeps at most floor(maxShare · B / K) of its confident samples, the most confident ones. */
    maxShare: z.number().positive().default(2),
    /** A class with fewer than minShare · B / K confident samples falls back (0: never). */
    minShare: z.number().min(0).default(0.1),
    /** A class that falls back takes its top max(1, floor(fallbackShare · B / K)) samples by its probability (SPICE's center_ratio). */
    fallbackShare: z.number().positive().default(0.5),
    /** Pseudo-labels from an EMA of the head with this decay (SCAN's ema_alpha is 0.999); none: from the head itself. */
    teacherDecay: z.number().min(0).lt(1).optional(),
  })
  .strict();

export type SelfLabelOptions = z.output<typeof selfLabelOptions>;
