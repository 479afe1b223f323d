import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, parseRunConfig, readConfigFile } from '@clusterflow/core';
import { planRuns, runBench } from '../run/bench.js';
import type { CommandContext } from './context.js';
import { backendOption, defaultOut, parsePositiveInt, parseSeeds } from './options.js';
import { outcome } from './outcome.js';
import { resumeTarget } from './resume-target.js';

/** `clusterflow train`: one run config, with checkpoints; a bench of one run underneath. */
export function addTrainCommand(program: Command, { io, state, cli }: CommandContext): void {
  program
    .command('train')
    .description('train one run config (core run config, YAML/JSON), with checkpoints, results, assignments and plots')
    .argument('<config>', 'run config file')
    .option('--out <dir>', "output folder (default: results/<config name>, or the bench folder of --resume's run folder)")
    .addOption(backendOption())
    .option('--seed <n>', "seed (default: the config's)", (s) => parseSeeds(s)[0])
    .option('--resume <path>', 'continue from a checkpoint, or from a run folder written by train (its checkpoints/last.ckpt)')
    .option('--force', 'train again a run that --out holds as finished, replacing its files (without it, it is refused)')
    .option('--log-every <n>', 'without a terminal: a progress line every n steps', parsePositiveInt, 20)
    .action(async (config: string, o: { out?: string; backend?: string; seed?: number; resume?: string; force?: boolean; logEvery: number }) => {
      const target = o.resume ? await resumeTarget(o.resume) : undefined;
      const raw = await readConfigFile(config);
      // A bench's key, easy to copy into a run config, where the schema alone would only call it unknown.
      if (typeof raw === 'object' && raw !== null && 'candidates' in raw)
        throw new ConfigError(`${config}: candidates: is a bench config's (clusterflow bench, under runs:), not a run config's; train trains one seed`);
      const parsed = parseRunConfig(raw, `config ${config}`);
      const run = { ...parsed, train: { ...parsed.train, resume: target?.checkpoint ?? parsed.train.resume } };
      const plan = { name: run.name, baseDir: dirname(resolve(config)), runs: [run] };
      const out = resolve(o.out ?? (target?.runDir ? dirname(target.runDir) : defaultOut(config)));
      const planned = await planRuns(plan, { backend: o.backend, seeds: o.seed === undefined ? undefined : [o.seed] });
      const bench = await runBench(plan.name, planned, {
        out,
        resume: target !== undefined,
        force: o.force,
        stream: io.stdout,
        logEvery: o.logEvery,
        checkpoint: true,
        stop: cli.stop,
      });
      const dir = join(out, bench.runs[0].dir);
      // A run that failed before its first checkpoint has none: name only what is there.
      const checkpoints = join(dir, 'checkpoints');
      io.stdout.write(`results in ${out}/results.md${existsSync(checkpoints) ? `; checkpoints in ${checkpoints}` : ''}\n`);
      state.code = outcome(bench, io, () => `clusterflow train ${relative(process.cwd(), config)} --resume ${relative(process.cwd(), dir)}`);
    });
}
