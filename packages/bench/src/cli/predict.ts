import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { BackendChoice } from '@clusterflow/core';
import { predict } from '../predict/predict.js';
import { defaultRegistry } from '../registry.js';
import { EXIT, type CommandContext } from './context.js';

/** `clusterflow predict`: assignments of new data by a trained run or an exported model. */
export function addPredictCommand(program: Command, { io, state, cli }: CommandContext): void {
  program
    .command('predict')
    .description(
      'assign data to clusters with a trained run (checkpoint or run folder) or an exported model; writes index,cluster,confidence[,label] per sample',
    )
    .argument('<model>', 'a checkpoint (.ckpt), a run folder written by train/bench, or a folder written by `clusterflow export`')
    .argument(
      '[data]',
      "a data config { id, options } (a .yaml/.json file, or inline JSON), or a path: image folder, idx file, .npy, .csv/.tsv, .parquet; default: the run's own data",
    )
    .option('--out <file>', 'the assignments CSV', 'assignments.csv')
    .option('--features <file>', 'also write the backbone features as a float32 .npy [N, featureDim]')
    .option('--probabilities <file>', "also write the main read-out's cluster probabilities as a float32 .npy [N, K]")
    .option('--labels <file>', 'labels for a vectors file (.json/.npy) or an idx image file (idx1)')
    .option('--label-column <name>', 'the label column of a .csv/.parquet file')
    .addOption(new Option('--backend <name>', "TF.js backend: auto or a registered backend's id (default: the run's)"))
    .option('--base-dir <dir>', "folder the run's stored config resolves its relative paths against", '.')
    .action(
      async (
        model: string,
        data: string | undefined,
        o: { out: string; features?: string; probabilities?: string; labels?: string; labelColumn?: string; backend?: BackendChoice; baseDir: string },
      ) => {
        const s = await predict(model, data, {
          ...o,
          out: resolve(o.out),
          features: o.features && resolve(o.features),
          probabilities: o.probabilities && resolve(o.probabilities),
          baseDir: resolve(o.baseDir),
          registry: defaultRegistry(),
          signal: cli.stop,
        });
        const skipped = s.skipped.map((k) => `\n  not predicted: read-out '${k.name}' (${k.why})`).join('');
        io.stdout.write(
          `${s.rows} samples of ${s.data} assigned (${s.backend}); read-out${s.readouts.length > 1 ? 's' : ''} ${s.readouts.join(', ')}; ` +
            `cluster sizes ${s.clusterSizes.join(' ')}\n` +
            (s.metrics
              ? `against the data's labels: ${Object.entries(s.metrics)
                  .map(([k, v]) => `${k} ${v.toFixed(4)}`)
                  .join(', ')}\n`
              : '') +
            `wrote ${o.out}${o.features ? `, ${o.features}` : ''}${o.probabilities ? `, ${o.probabilities}` : ''}${skipped}\n`,
        );
        state.code = EXIT.ok;
      },
    );
}
