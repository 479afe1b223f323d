import type { Command } from 'commander';
import { loadPlugins } from '@clusterflow/core';
import { formatComponents, listComponents } from '../list-components.js';
import { defaultRegistry } from '../registry.js';
import { EXIT, type CommandContext } from './context.js';

/** `clusterflow list`: every registered component, plugins' included. */
export function addListCommand(program: Command, { io, state }: CommandContext): void {
  program
    .command('list')
    .description(
      'list every registered component (objectives, backbones, datasets, augmentations, transforms, metrics, optimizers, schedules, hooks, backends) with origin and options',
    )
    .option('--plugin <spec...>', 'also load these plugins (npm names or paths)')
    .option('--json', 'print as JSON (options as JSON Schema)')
    .action(async (o: { plugin?: string[]; json?: boolean }) => {
      const registry = defaultRegistry();
      await loadPlugins(o.plugin ?? [], registry, process.cwd());
      const items = listComponents(registry);
      io.stdout.write(o.json ? JSON.stringify(items, null, 2) + '\n' : formatComponents(items));
      state.code = EXIT.ok;
    });
}
