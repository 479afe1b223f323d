import { resolve } from 'node:path';
import type { Command } from 'commander';
import { selectBackend } from '@clusterflow/core';
import { exportModel } from '../predict/export.js';
import { defaultRegistry } from '../registry.js';
import { EXIT, type CommandContext } from './context.js';

/** `clusterflow export`: a trained run as a self-contained model folder for loadClusterer. */
export function addExportCommand(program: Command, { io, state }: CommandContext): void {
  program
    .command('export')
    .description('write a trained run as a self-contained model folder (TF.js weights, model.json) for loadClusterer in Node or a browser')
    .argument('<checkpoint>', 'a checkpoint (.ckpt) or a run folder written by train/bench')
    .requiredOption('--out <dir>', 'the model folder to write (new or empty, or an earlier export)')
    .option('--base-dir <dir>', "folder the run's stored config resolves its relative paths against", '.')
    .action(async (checkpoint: string, o: { out: string; baseDir: string }) => {
      const registry = defaultRegistry();
      // Export only copies weights: the plain cpu backend, chosen before any tensor exists.
      await selectBackend('cpu', registry);
      const { model, files, skipped } = await exportModel(checkpoint, resolve(o.out), { registry, baseDir: resolve(o.baseDir) });
      const bytes = model.weightsManifest.flatMap((g) => g.weights).reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
      io.stdout.write(
        `exported ${model.trainedWith?.run} (${model.backbone.id} backbone, ${model.numClusters} clusters, read-outs ${model.readouts.map((r) => r.name).join(', ')}) ` +
          `to ${o.out}: ${files.join(', ')} (${(bytes / 1024).toFixed(0)} KiB of weights)` +
          skipped.map((k) => `\n  not exported: read-out '${k.name}' (${k.why})`).join('') +
          '\n',
      );
      state.code = EXIT.ok;
    });
}
