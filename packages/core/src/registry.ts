import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { validate } from './config/validate.js';
import { UnknownComponentError } from './errors.js';
import type { ComponentRef } from './factory.js';
import { KIND_NAMES, KINDS, type ContextOf, type FactoryOf, type Kind, type ProductOf } from './kinds.js';
import { containerServices, type Services } from './services.js';
import { token, type Token } from './tokens.js';

export interface RegisteredEntry<K extends Kind = Kind> {
  kind: K;
  factory: FactoryOf[K];
  /** Who registered it: 'builtin:@clusterflow/objectives' or a plugin's package name. */
  origin: string;
}

export interface RegistryOptions {
  /** The container to hold the registrations (default: a new child of tsyringe's root). */
  container?: DependencyContainer;
}

/** The registry itself, as a service: components (metrics, transforms) built by name from inside another component. */
export const REGISTRY = token<Registry>('service.registry');

/**
 * Components by kind and id, and services by token, held in a tsyringe container.
 * A new one is empty; `createRegistry()` returns one holding core's built-ins.
 * Factories are registered as values, so plugin authors need neither decorators
 * nor reflect-metadata. A duplicate id is an error unless `override` is asked for;
 * an unknown id is an error that lists what is registered and where it came from.
 */
export class Registry {
  readonly container: DependencyContainer;
  /** The container's services (k-means, k-NN, logger...), for components built outside a run. */
  readonly services: Services;
  /** Plugins already loaded into this registry, by resolved specifier: loading one again is a no-op. */
  readonly loadedPlugins = new Set<string>();

  constructor(opts: RegistryOptions | DependencyContainer = {}) {
    const o: RegistryOptions = 'createChildContainer' in opts ? { container: opts as DependencyContainer } : (opts as RegistryOptions);
    // Each registry gets its own child container; nothing is registered in tsyringe's root.
    this.container = o.container ?? rootContainer.createChildContainer();
    this.services = containerServices(this.container);
    this.container.register(REGISTRY, { useValue: this });
  }

  add<K extends Kind>(kind: K, factory: FactoryOf[K], origin: string, opts: { override?: boolean } = {}): void {
    if (!factory || typeof factory.id !== 'string' || typeof factory.create !== 'function' || !factory.options) {
      throw new Error(`${origin} tried to register a ${kind} that is not a factory { id, options, create }`);
    }
    const existing = this.find(kind, factory.id);
    if (existing && !opts.override) {
      throw new Error(
        `${kind} '${factory.id}' is already registered by ${existing.origin}; ` + `${origin} cannot register it again (pass { override: true } to replace it)`,
      );
    }
    if (existing) {
      existing.factory = factory;
      existing.origin = origin;
    } else {
      this.container.register<RegisteredEntry<K>>(KINDS[kind], { useValue: { kind, factory, origin } });
    }
  }

  get<K extends Kind>(kind: K, id: string): FactoryOf[K] {
    const entry = this.find(kind, id);
    if (!entry) {
      const known = this.list(kind).map((e) => `${e.factory.id} (${e.origin})`);
      throw new UnknownComponentError(`unknown ${kind} '${id}'; registered: ${known.length ? known.join(', ') : 'none'}`);
    }
    return entry.factory;
  }

  has(kind: Kind, id: string): boolean {
    return this.find(kind, id) !== undefined;
  }

  list<K extends Kind>(kind: K): RegisteredEntry<K>[] {
    const t = KINDS[kind];
    if (!this.container.isRegistered(t, true)) return [];
    return this.container.resolveAll<RegisteredEntry<K>>(t);
  }

  /** Every kind's entries, in `KIND_NAMES` order. */
  listAll(): RegisteredEntry[] {
    return KIND_NAMES.flatMap((k) => this.list(k) as RegisteredEntry[]);
  }

  /** Validates `ref.options` with the factory's own schema; errors name the component ("options of hook 'early-stop'"). */
  options<K extends Kind>(kind: K, ref: ComponentRef): unknown {
    const f = this.get(kind, ref.id);
    return validate(f.options, ref.options ?? {}, `options of ${kind} '${ref.id}'`);
  }

  /** Looks up, validates and creates a component in one call. */
  build<K extends Kind>(kind: K, ref: ComponentRef, ctx: ContextOf<K>): ProductOf<K> {
    const f = this.get(kind, ref.id) as unknown as { create(o: unknown, c: unknown): ProductOf<K> };
    return f.create(this.options(kind, ref), ctx);
  }

  /** Registers a service value under its token (k-means, a logger...). */
  provide<T>(t: Token<T>, value: T): void {
    this.container.register<T>(t, { useValue: value });
  }

  /** A registrar bound to one origin: what a plugin's `register(...)` receives. */
  registrar(origin: string): Registrar {
    const adders = Object.fromEntries(
      KIND_NAMES.map((kind) => [kind, (factory: FactoryOf[Kind], opts?: { override?: boolean }) => this.add(kind, factory, origin, opts)]),
    ) as { [K in Kind]: AddFn<K> };
    return { ...adders, origin, service: (t, value) => this.provide(t, value) };
  }

  private find<K extends Kind>(kind: K, id: string): RegisteredEntry<K> | undefined {
    return this.list(kind).find((e) => e.factory.id === id);
  }
}

type AddFn<K extends Kind> = (factory: FactoryOf[K], opts?: { override?: boolean }) => void;

/** The calls a plugin makes to add its components and services: one per kind (`r.objective(factory)`...). */
export type Registrar = { readonly [K in Kind]: AddFn<K> } & {
  /** Who registers through this registrar (a plugin's name). */
  readonly origin: string;
  /** Provides a service (k-means, k-NN, a logger) that components resolve by token. */
  service<T>(t: Token<T>, value: T): void;
};
