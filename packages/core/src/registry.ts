import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { AugmentationFactory } from './augmentation.js';
import type { BackboneFactory } from './backbone.js';
import type { BackendFactory } from './backend/backend.js';
import { registerBuiltins } from './builtins.js';
import { validate } from './config/validate.js';
import type { DatasetFactory } from './dataset.js';
import { UnknownComponentError } from './errors.js';
import type { ComponentRef } from './factory.js';
import type { HookFactory } from './hook.js';
import type { MetricFactory } from './metric.js';
import type { ObjectiveFactory } from './objective.js';
import type { OptimizerFactory } from './optim/optimizer.js';
import type { ScheduleFactory } from './optim/schedule.js';
import { containerServices, REGISTRY, type Services } from './services.js';
import { KIND_NAMES, KINDS, type Kind, type Token } from './tokens.js';
import type { TransformFactory } from './transform.js';

/** What each kind's factories look like. */
export interface FactoryOf {
  objective: ObjectiveFactory;
  backbone: BackboneFactory;
  dataset: DatasetFactory;
  augmentation: AugmentationFactory;
  transform: TransformFactory;
  metric: MetricFactory;
  optimizer: OptimizerFactory;
  schedule: ScheduleFactory;
  hook: HookFactory;
  backend: BackendFactory;
}

/** The context each kind's `create` receives. */
export type ContextOf<K extends Kind> = Parameters<FactoryOf[K]['create']>[1];
/** What each kind's `create` returns. */
export type ProductOf<K extends Kind> = ReturnType<FactoryOf[K]['create']>;

export interface RegisteredEntry<K extends Kind = Kind> {
  kind: K;
  factory: FactoryOf[K];
  /** Who registered it: 'builtin:@clusterflow/objectives' or a plugin's package name. */
  origin: string;
}

export interface RegistryOptions {
  /** The container to hold the registrations (default: a new child of tsyringe's root). */
  container?: DependencyContainer;
  /** Register core's own optimizers, schedules, hooks and backends (default true). */
  builtins?: boolean;
}

/**
 * Components by kind and id, and services by token, held in a tsyringe container.
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
    if (o.builtins ?? true) registerBuiltins(this.registrar('builtin:@clusterflow/core'));
  }

  add<K extends Kind>(kind: K, factory: FactoryOf[K], origin: string, opts: { override?: boolean } = {}): void {
    if (!factory || typeof factory.id !== 'string' || typeof factory.create !== 'function' || !factory.options) {
      throw new Error(`${origin} tried to register a ${kind} that is not a factory { id, options, create }`);
    }
    const existing = this.find(kind, factory.id);
    if (existing && !opts.override) {
      throw new Error(
        `${kind} '${factory.id}' is already registered by ${existing.origin}; ` +
          `${origin} cannot register it again (pass { override: true } to replace it)`,
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
    const add =
      <K extends Kind>(kind: K) =>
      (factory: FactoryOf[K], opts?: { override?: boolean }) =>
        this.add(kind, factory, origin, opts);
    return {
      origin,
      objective: add('objective'),
      backbone: add('backbone'),
      dataset: add('dataset'),
      augmentation: add('augmentation'),
      transform: add('transform'),
      metric: add('metric'),
      optimizer: add('optimizer'),
      schedule: add('schedule'),
      hook: add('hook'),
      backend: add('backend'),
      service: (t, value) => this.provide(t, value),
    };
  }

  private find<K extends Kind>(kind: K, id: string): RegisteredEntry<K> | undefined {
    return this.list(kind).find((e) => e.factory.id === id);
  }
}

type AddFn<K extends Kind> = (factory: FactoryOf[K], opts?: { override?: boolean }) => void;

/** The calls a plugin makes to add its components and services. */
export interface Registrar {
  /** Who registers through this registrar (a plugin's name). */
  readonly origin: string;
  objective: AddFn<'objective'>;
  backbone: AddFn<'backbone'>;
  dataset: AddFn<'dataset'>;
  augmentation: AddFn<'augmentation'>;
  transform: AddFn<'transform'>;
  metric: AddFn<'metric'>;
  optimizer: AddFn<'optimizer'>;
  schedule: AddFn<'schedule'>;
  hook: AddFn<'hook'>;
  backend: AddFn<'backend'>;
  /** Provides a service (k-means, k-NN, a logger) that components resolve by token. */
  service<T>(t: Token<T>, value: T): void;
}
