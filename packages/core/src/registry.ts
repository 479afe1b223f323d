import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { AugmentationFactory } from './augmentation.js';
import type { BackboneFactory } from './backbone.js';
import type { DatasetFactory } from './dataset.js';
import { UnknownComponentError } from './errors.js';
import type { MetricFactory } from './metric.js';
import type { ObjectiveFactory } from './objective.js';
import { KINDS, type Kind } from './tokens.js';

/** What each kind's factories look like. */
export interface FactoryOf {
  objective: ObjectiveFactory;
  backbone: BackboneFactory;
  dataset: DatasetFactory;
  augmentation: AugmentationFactory;
  metric: MetricFactory;
}

export interface RegisteredEntry<K extends Kind = Kind> {
  kind: K;
  factory: FactoryOf[K];
  /** Who registered it: 'builtin:@clusterflow/objectives' or a plugin's package name. */
  origin: string;
}

/**
 * Components by kind and id, held in a tsyringe container under typed tokens.
 * Factories are registered as values, so plugin authors need neither decorators
 * nor reflect-metadata. A duplicate id is an error unless `override` is asked for;
 * an unknown id is an error that lists what is registered and where it came from.
 */
export class Registry {
  /** Each registry gets its own child container; nothing is registered in tsyringe's root. */
  constructor(readonly container: DependencyContainer = rootContainer.createChildContainer()) {}

  add<K extends Kind>(kind: K, factory: FactoryOf[K], origin: string, opts: { override?: boolean } = {}): void {
    const existing = this.find(kind, factory.id);
    if (existing && !opts.override) {
      throw new Error(
        `${kind} '${factory.id}' is already registered by ${existing.origin}; ` +
          `${origin} cannot register it again (pass { override: true } to replace it)`,
      );
    }
    if (existing) existing.factory = factory;
    else this.container.register<RegisteredEntry<K>>(KINDS[kind], { useValue: { kind, factory, origin } });
  }

  get<K extends Kind>(kind: K, id: string): FactoryOf[K] {
    const entry = this.find(kind, id);
    if (!entry) {
      const known = this.list(kind).map((e) => `${e.factory.id} (${e.origin})`);
      throw new UnknownComponentError(
        `unknown ${kind} '${id}'; registered: ${known.length ? known.join(', ') : 'none'}`,
      );
    }
    return entry.factory;
  }

  has(kind: Kind, id: string): boolean {
    return this.find(kind, id) !== undefined;
  }

  list<K extends Kind>(kind: K): RegisteredEntry<K>[] {
    const token = KINDS[kind];
    if (!this.container.isRegistered(token, true)) return [];
    return this.container.resolveAll<RegisteredEntry<K>>(token);
  }

  /** A registrar bound to one origin: what a plugin's `register(...)` receives. */
  registrar(origin: string): Registrar {
    const add =
      <K extends Kind>(kind: K) =>
      (factory: FactoryOf[K], opts?: { override?: boolean }) =>
        this.add(kind, factory, origin, opts);
    return {
      objective: add('objective'),
      backbone: add('backbone'),
      dataset: add('dataset'),
      augmentation: add('augmentation'),
      metric: add('metric'),
    };
  }

  private find<K extends Kind>(kind: K, id: string): RegisteredEntry<K> | undefined {
    return this.list(kind).find((e) => e.factory.id === id);
  }
}

/** The calls a plugin makes to add its components. */
export interface Registrar {
  objective(factory: ObjectiveFactory, opts?: { override?: boolean }): void;
  backbone(factory: BackboneFactory, opts?: { override?: boolean }): void;
  dataset(factory: DatasetFactory, opts?: { override?: boolean }): void;
  augmentation(factory: AugmentationFactory, opts?: { override?: boolean }): void;
  metric(factory: MetricFactory, opts?: { override?: boolean }): void;
}

