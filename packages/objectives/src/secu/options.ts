import { z } from 'zod';
import { ConfigError } from '@clusterflow/core';

/**
 * SeCu's options. Defaults are the official CIFAR-10 run (run_cifar10.sh,
 * spec §5): ten heads K = 10..100, 512-512-128 projector, λ_x = λ_w = 0.05,
 * τ = 0.2, size constraint with γ = 0.9 and η = 0.1, centers at a constant
 * lr 1.2. Options that depend on the data are derived from the context:
 * the K list and the entropy weight α.
 */
export const secuOptions = z
  .object({
    /** K of every head. Default [K, 2K, ..., numHeads·K] with K = the run's numClusters (CIFAR-10: 10..100). Must include numClusters. */
    ks: z.array(z.number().int().min(2)).min(1).optional(),
    /** Number of heads when `ks` is not given (default 10). */
    numHeads: z.number().int().min(1).optional(),
    /** Hidden width of the projector Linear(f, hidden)-BN-ReLU-Linear(hidden, dim). */
    hidden: z.number().int().positive().default(512),
    /** Output dimension of the projector (`--secu-dim`). */
    dim: z.number().int().positive().default(128),
    /** λ_x, temperature of the representation loss. */
    tx: z.number().positive().default(0.05),
    /** λ_w, temperature of the center loss (STL-10 uses 1). */
    tw: z.number().positive().default(0.05),
    /** τ, weight of the one-hot stored label in the soft targets. */
    tau: z.number().min(0).max(1).default(0.2),
    /** 'size': lower bound γ·N/K per cluster via duals; 'entropy': global entropy of the cluster sizes. */
    constraint: z.enum(['size', 'entropy']).default('size'),
    /** η, step of the dual ascent (size). */
    dualLr: z.number().positive().default(0.1),
    /** γ, fraction of the uniform size each cluster must keep (size). */
    lratio: z.number().positive().max(1).default(0.9),
    /**
     * α, weight of the entropy term (entropy). It must scale with N: default
     * 0.12·numSamples, which is the official 6000 for CIFAR-10's 50,000 images.
     */
    alpha: z.number().positive().optional(),
    /** The centers' constant learning rate (`--secu-clr`), applied through paramGroups(). */
    clr: z.number().positive().default(1.2),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.ks && o.numHeads !== undefined && o.numHeads !== o.ks.length) {
      ctx.addIssue({ code: 'custom', path: ['numHeads'], message: `numHeads ${o.numHeads} contradicts ks of length ${o.ks.length}` });
    }
  });

export type SecuOptions = z.infer<typeof secuOptions>;

/** Options with everything derived from the context filled in. */
export interface SecuConfig extends Omit<SecuOptions, 'ks' | 'numHeads' | 'alpha'> {
  ks: number[];
  alpha: number;
  /** Index into ks of the head read out first (K = numClusters). */
  mainHead: number;
}

/** Official α/N for CIFAR-10 entropy: 6000 / 50000. */
export const ALPHA_PER_SAMPLE = 0.12;

export function resolveSecuConfig(o: SecuOptions, ctx: { numClusters: number; numSamples: number }): SecuConfig {
  const k = ctx.numClusters;
  const ks = o.ks ?? Array.from({ length: o.numHeads ?? 10 }, (_, i) => (i + 1) * k);
  const mainHead = ks.indexOf(k);
  if (mainHead < 0) {
    throw new ConfigError(`secu: ks [${ks.join(', ')}] must include numClusters = ${k}, the head that is evaluated`);
  }
  const { ks: _ks, numHeads: _h, alpha, ...rest } = o;
  return { ...rest, ks, mainHead, alpha: alpha ?? ALPHA_PER_SAMPLE * ctx.numSamples };
}
