import { registerBuiltins } from './builtins.js';
import { Registry, type RegistryOptions } from './registry.js';

/**
 * A registry holding core's own optimizers, schedules, hooks and backends: where a
 * run starts. Each package's `register(r)` then adds its components. (`new
 * Registry()` is an empty one, for tests and for registries built by hand.) The
 * built-ins are added here rather than by `Registry` itself, so that the registry
 * does not import the hooks, and through them the loop, that use it.
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry(options);
  registerBuiltins(registry.registrar('builtin:@clusterflow/core'));
  return registry;
}
