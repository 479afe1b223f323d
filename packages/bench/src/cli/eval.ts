import { resolve } from 'node:path';
import type { Command } from 'commander';
import { describeObjectives, evaluateCheckpoint, loadPlugins, type BackendChoice } from '@clusterflow/core';
import { defaultRegistry } from '../registry.js';
import { EXIT, type CommandContext } from './context.js';
import { backendOption } from './options.js';

/** `clusterflow eval`: a checkpoint's metrics, from the run rebuilt out of the config stored in it. */
export function addEvalCommand(program: Command, { io, state }: CommandContext): void {
  program
    .command('eval')
    .description('evaluate a checkpoint: rebuild its run from the config stored in it and print its metrics')
    .argument('<checkpoint>', 'a .ckpt file written by train (e.g. <out>/<run>-seed0/checkpoints/last.ckpt)')
    .addOption(backendOption())
    .option('--base-dir <dir>', 'folder that relative paths of the stored config are resolved against', '.')
    .option('--json', 'print the result as JSON')
    .option('--plugin <spec...>', "load these plugins (npm names or paths) for the checkpoint's components: a checkpoint never loads the plugins it names")
    .action(async (checkpoint: string, o: { backend?: BackendChoice; baseDir: string; json?: boolean; plugin?: string[] }) => {
      const registry = defaultRegistry();
      await loadPlugins(o.plugin ?? [], registry, process.cwd());
      const res = await evaluateCheckpoint(resolve(checkpoint), { registry, baseDir: resolve(o.baseDir), backend: o.backend });
      if (o.json) {
        const { readouts: _r, ...rest } = res;
        io.stdout.write(JSON.stringify(rest, null, 2) + '\n');
      } else {
        const lines = [
          `checkpoint: ${resolve(checkpoint)}`,
          `epoch: ${res.epoch} (step ${res.step})`,
          `config: ${res.config.name} (${describeObjectives(res.config)} on ${res.config.backbone.id}, dataset ${res.config.data.id}, seed ${res.config.seed})`,
          `backend: ${res.backend}`,
          `read-out: ${res.mainReadout}; cluster sizes: ${res.clusterSizes[res.mainReadout]?.join(' ')}`,
          'metrics:',
          ...Object.entries(res.metrics).map(([k, v]) => `  ${k}: ${v.toFixed(4)}`),
        ];
        io.stdout.write(lines.join('\n') + '\n');
      }
      state.code = EXIT.ok;
    });
}
