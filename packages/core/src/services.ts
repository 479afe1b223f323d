import type * as tf from '@tensorflow/tfjs-core';
import type { DependencyContainer } from 'tsyringe';
import type { RunConfig } from './config/schema.js';
import type { Dataset } from './dataset.js';
import { UnknownComponentError } from './errors.js';
import type { Rng } from './rng.js';
import { token, type Token } from './tokens.js';

/**
 * Services a component asks for by token instead of importing the package that
 * implements them, so that a plugin depends on `@clusterflow/core` alone.
 * `@clusterflow/eval` provides k-means and k-NN; the loop provides, per run, the
 * seeded RNG, the logger and the resolved config.
 */
export interface Services {
  /** The service behind `t`; an error naming the token (and who usually provides it) when none is registered. */
  resolve<T>(t: Token<T>): T;
  has(t: Token<unknown>): boolean;
}

/** Lloyd's k-means with k-means++ seeding on the active backend (scikit-learn's KMeans). */
export type KMeansService = (
  x: tf.Tensor2D,
  options: { k: number; nInit?: number; maxIter?: number; tol?: number; seed?: number; signal?: AbortSignal },
) => Promise<{ labels: Int32Array; centroids: Float32Array; inertia: number }>;

/** The k nearest rows of every row by cosine similarity, itself excluded: [N, k] row-major. */
export type KnnService = (x: tf.Tensor2D, options: { k: number; signal?: AbortSignal }) => Promise<{ indices: Int32Array; similarities: Float32Array }>;

/** Where components report what a user should read; the CLI prefixes the run's name. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const KMEANS = token<KMeansService>('service.kmeans');
export const KNN = token<KnnService>('service.knn');
export const LOGGER = token<Logger>('service.logger');
/**
 * Run-scoped: backbone features (inference mode) of every sample of the run's
 * dataset, un-augmented, [N, featureDim]; the caller disposes them. SCAN mines
 * its neighbours from them.
 */
export const EMBED = token<(options?: { signal?: AbortSignal }) => Promise<tf.Tensor2D>>('service.embed');
/** Run-scoped: the run's dataset (its labels, when it has them, for diagnostics only). */
export const DATASET = token<Dataset>('service.dataset');
/** Run-scoped: the run's seeded generator (fork it rather than drawing from it, so other draws stay put). */
export const RNG = token<Rng>('service.rng');
/** Run-scoped: the run's resolved config. */
export const RUN_CONFIG = token<RunConfig>('service.run-config');

/** Who provides a service when nothing else does, for the error message. */
const PROVIDERS: Record<string, string> = {
  'clusterflow.service.kmeans': "@clusterflow/eval's register()",
  'clusterflow.service.knn': "@clusterflow/eval's register()",
  'clusterflow.service.rng': 'the training loop (run-scoped)',
  'clusterflow.service.run-config': 'the training loop (run-scoped)',
  'clusterflow.service.embed': 'the training loop (run-scoped)',
  'clusterflow.service.dataset': 'the training loop (run-scoped)',
};

/** A logger that writes to the console: info to stdout, warnings to stderr. */
export const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
};

/** Services backed by a tsyringe container (a registry's, or a run's child of it). */
export function containerServices(container: DependencyContainer): Services {
  return {
    has: (t) => container.isRegistered(t, true),
    resolve<T>(t: Token<T>): T {
      if (!container.isRegistered(t, true)) {
        if (t === LOGGER) return consoleLogger as T;
        const name = t.description ?? String(t);
        const by = PROVIDERS[name];
        throw new UnknownComponentError(`no service '${name.replace('clusterflow.service.', '')}' is registered${by ? ` (it comes from ${by})` : ''}`);
      }
      return container.resolve<T>(t);
    },
  };
}
