import type { z } from 'zod';

/**
 * Every registered component is built by a factory: an explicit id (never a class
 * name), a zod schema that validates and defaults its options, and `create`.
 * `clusterflow list` prints the id, the description and the option schema.
 */
export interface Factory<TOptions, TContext, TProduct> {
  readonly id: string;
  readonly description?: string;
  readonly options: z.ZodType<TOptions>;
  create(options: TOptions, ctx: TContext): TProduct;
  /**
   * Checks that need the registry, for components named inside the options (a
   * pipeline's transforms): run with the other validation, before anything trains.
   */
  check?(options: TOptions, registry: ComponentLookup): void;
}

/** What `check` may ask of the registry. */
export interface ComponentLookup {
  options(kind: string, ref: ComponentRef): unknown;
}

/** `{ id, options }`: how a config names a component. */
export interface ComponentRef {
  id: string;
  options?: Record<string, unknown>;
}
