import { dirname, resolve, basename, extname } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BACKENDS, ConfigError, evaluateCheckpoint, loadPlugins, loadRunConfig, type BackendChoice } from '@clusterflow/core';
import { loadBenchConfig } from './bench-config.js';
import { checkRunNames, runBench } from './bench.js';
import { formatComponents, listComponents } from './list-components.js';
import { defaultRegistry } from './registry.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Exit codes: 0 all ok, 1 a run failed or an error, 2 a usage or config error. */
export const EXIT = { ok: 0, runFailed: 1, usage: 2 } as const;

const backendOption = () =>
  new Option('--backend <name>', 'TF.js backend for every run (default: the config\'s, itself defaulting to auto)').choices(['auto', ...BACKENDS]);

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new InvalidArgumentError(`expected non-negative integers separated by commas, e.g. 0,1,2 (got '${text}')`);
  return [...new Set(seeds.map(Number))];
}

function parsePositiveInt(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError(`expected a positive integer (got '${text}')`);
  return Number(text);
}

const defaultOut = (config: string) => resolve('results', basename(config, extname(config)));

/** The `clusterflow` command line; actions set `state.code`, and parse errors become codes too. */
export function buildProgram(io: CliIo, state: { code: number }): Command {
  const program = new Command('clusterflow')
    .description('Deep clustering benchmarks on TensorFlow.js: train, evaluate and compare clustering objectives')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  program
    .command('bench')
    .description('train every run of one or more bench configs (YAML/JSON with `runs:`) and write results, assignments and plots')
    .argument('<config...>', 'bench config files')
    .option('--out <dir>', 'output folder (default: results/<config name>)')
    .addOption(backendOption())
    .option('--seeds <list>', 'repeat each run once per seed, e.g. 0,1,2 (default: each run\'s own seed)', parseSeeds)
    .option('--only <names>', 'only the runs with these names, comma-separated, e.g. cc,simclr', (t: string) => t.split(',').map((n) => n.trim()).filter(Boolean))
    .option('--log-every <n>', 'without a terminal: a progress line every n steps', parsePositiveInt, 20)
    .action(async (configs: string[], o: { out?: string; backend?: BackendChoice; seeds?: number[]; only?: string[]; logEvery: number }) => {
      // Every config is validated before anything trains: a typo in the third file should not cost the first two runs.
      const plans = await Promise.all(configs.map((c) => loadBenchConfig(c)));
      if (o.only) checkRunNames(plans, o.only);
      let failed = 0;
      for (const [i, plan] of plans.entries()) {
        const out = o.out ? (plans.length > 1 ? resolve(o.out, plan.name) : resolve(o.out)) : defaultOut(configs[i]);
        const bench = await runBench(plan, { out, backend: o.backend, seeds: o.seeds, only: o.only, stream: io.stdout, logEvery: o.logEvery });
        io.stdout.write(`${plan.name}: ${bench.ok} ok, ${bench.failed} failed; results in ${out}/results.md\n`);
        failed += bench.failed;
      }
      state.code = failed > 0 ? EXIT.runFailed : EXIT.ok;
    });

  program
    .command('train')
    .description('train one run config (core run config, YAML/JSON), with checkpoints, results, assignments and plots')
    .argument('<config>', 'run config file')
    .option('--out <dir>', 'output folder (default: results/<config name>)')
    .addOption(backendOption())
    .option('--seed <n>', 'seed (default: the config\'s)', (s) => parseSeeds(s)[0])
    .option('--log-every <n>', 'without a terminal: a progress line every n steps', parsePositiveInt, 20)
    .action(async (config: string, o: { out?: string; backend?: BackendChoice; seed?: number; logEvery: number }) => {
      const run = await loadRunConfig(config);
      const plan = { name: run.name, baseDir: dirname(resolve(config)), runs: [run] };
      const out = resolve(o.out ?? defaultOut(config));
      const bench = await runBench(plan, { out, backend: o.backend, seeds: o.seed === undefined ? undefined : [o.seed], stream: io.stdout, logEvery: o.logEvery, checkpoint: true });
      io.stdout.write(`results in ${out}/results.md; checkpoints in ${out}/${bench.runs[0].dir}/checkpoints\n`);
      state.code = bench.failed > 0 ? EXIT.runFailed : EXIT.ok;
    });

  program
    .command('eval')
    .description('evaluate a checkpoint: rebuild its run from the config stored in it and print its metrics')
    .argument('<checkpoint>', 'a .ckpt file written by train (e.g. <out>/<run>-seed0/checkpoints/last.ckpt)')
    .addOption(backendOption())
    .option('--base-dir <dir>', 'folder that relative paths of the stored config are resolved against', '.')
    .option('--json', 'print the result as JSON')
    .action(async (checkpoint: string, o: { backend?: BackendChoice; baseDir: string; json?: boolean }) => {
      const res = await evaluateCheckpoint(resolve(checkpoint), { registry: defaultRegistry(), baseDir: resolve(o.baseDir), backend: o.backend });
      if (o.json) {
        const { readouts: _r, ...rest } = res;
        io.stdout.write(JSON.stringify(rest, null, 2) + '\n');
      } else {
        const lines = [
          `checkpoint: ${resolve(checkpoint)}`,
          `epoch: ${res.epoch} (step ${res.step})`,
          `config: ${res.config.name} (${res.config.objective.map((p) => p.id).join(' + ')} on ${res.config.backbone.id}, dataset ${res.config.data.id}, seed ${res.config.seed})`,
          `backend: ${res.backend}`,
          `read-out: ${res.mainReadout}; cluster sizes: ${res.clusterSizes[res.mainReadout]?.join(' ')}`,
          'metrics:',
          ...Object.entries(res.metrics).map(([k, v]) => `  ${k}: ${v.toFixed(4)}`),
        ];
        io.stdout.write(lines.join('\n') + '\n');
      }
      state.code = EXIT.ok;
    });

  program
    .command('list')
    .description('list registered objectives, backbones, datasets, augmentations and metrics with origin and options')
    .option('--plugin <spec...>', 'also load these plugins (npm names or paths)')
    .option('--json', 'print as JSON (options as JSON Schema)')
    .action(async (o: { plugin?: string[]; json?: boolean }) => {
      const registry = defaultRegistry();
      await loadPlugins(o.plugin ?? [], registry, process.cwd());
      const items = listComponents(registry);
      io.stdout.write(o.json ? JSON.stringify(items, null, 2) + '\n' : formatComponents(items));
      state.code = EXIT.ok;
    });

  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const state = { code: EXIT.ok as number };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`error: ${err instanceof Error ? `${err.name === 'Error' ? '' : err.name + ': '}${err.message}` : String(err)}\n`);
    return EXIT.runFailed;
  }
}
