import { platform } from '#platform';
import { PluginError, UnknownComponentError } from './errors.js';
import type { Registrar, Registry } from './registry.js';

/**
 * A plugin is a module (a file or an npm package) that exports
 * `register(r: Registrar)`, or a default export made with `definePlugin`.
 */
export interface Plugin {
  name: string;
  register(r: Registrar): void | Promise<void>;
}

export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

/**
 * Imports each plugin named in a config and lets it register its components, with
 * its name as their origin. A plugin that cannot be imported, or exports no
 * `register`, is an error naming it: never a warning and a silent fallback.
 * A plugin already loaded into this registry (the same file or package) is skipped,
 * so a second run on the same registry may name it again.
 */
export async function loadPlugins(specs: readonly string[], registry: Registry, baseDir = platform.defaultBaseDir()): Promise<void> {
  for (const spec of specs) {
    const url = platform.pluginSpecifier(spec, baseDir);
    if (registry.loadedPlugins.has(url)) continue;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (err) {
      throw new PluginError(`cannot load plugin '${spec}': ${(err as Error).message}`, { cause: err });
    }
    const plugin = pluginOf(mod);
    if (!plugin) {
      throw new PluginError(`plugin '${spec}' exports no register(...) function (exports: ${Object.keys(mod).join(', ') || 'none'})`);
    }
    try {
      await plugin.register(registry.registrar(plugin.name ?? spec));
    } catch (err) {
      throw new PluginError(`plugin '${spec}' failed to register: ${(err as Error).message}`, { cause: err });
    }
    registry.loadedPlugins.add(url);
  }
}

function pluginOf(mod: Record<string, unknown>): (Partial<Plugin> & Pick<Plugin, 'register'>) | undefined {
  if (typeof mod.register === 'function') {
    return { name: typeof mod.name === 'string' ? mod.name : undefined, register: mod.register as Plugin['register'] };
  }
  const def = mod.default as Partial<Plugin> | undefined;
  if (def && typeof def.register === 'function') return def as Plugin;
  return undefined;
}

/**
 * The error for a config read from a file the user did not write (a checkpoint),
 * which needs a component that no loaded plugin registers. Such a config's
 * `plugins` are named to the user, never imported: importing them would run the
 * code of whoever wrote the file.
 */
export function unloadedPluginError(source: string, plugins: readonly string[], err: UnknownComponentError): PluginError {
  const missing = /^unknown (\S+ '[^']*')/.exec(err.message)?.[1] ?? 'a component';
  const names = plugins.map((p) => `--plugin ${p}`).join(' ');
  const hint =
    plugins.length > 0
      ? `its config names the plugins ${plugins.map((p) => `'${p}'`).join(', ')}; if you trust them, load them yourself: ${names}`
      : 'its config names no plugin; load the one that registers it with --plugin <package or file>';
  return new PluginError(`${source} needs ${missing}, which no loaded plugin registers (${err.message}). A checkpoint never loads code by itself: ${hint}`, {
    cause: err,
  });
}
