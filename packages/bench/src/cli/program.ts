import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, describeObjectives, evaluateCheckpoint, loadPlugins, loadRunConfig, MAX_SEED, PluginError, UnknownComponentError, type BackendChoice } from '@clusterflow/core';
import { loadBenchConfig } from './run/bench-config.js';
import { checkRunNames, planRuns, runBench, type PlannedRun } from './run/bench.js';
import type { Queue } from 'bullmq';
import { formatComponents, listComponents } from './list-components.js';
import { openQueue, parseQueueUrl, sayErrors, type QueueAddress } from './queue/connection.js';
import { enqueueBench } from './queue/enqueue.js';
import { gatherBenches, type QueuedBenchOut } from './queue/gather.js';
import type { RunJobData, RunJobResult } from './queue/jobs.js';
import { readManifests } from './queue/manifest.js';
import { runWorker } from './queue/worker.js';
import { addPredictCommands } from './cli/predict-commands.js';
import { defaultRegistry } from './registry.js';
import { checkpointsOf } from './run/resume-check.js';
import type { BenchResult } from './report/results.js';
import { allowHostOption, hostOption, openLiveView, portOption, tokenOption } from './serve/cli.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Exit codes: 0 all ok, 1 a run failed or an error, 2 a usage or config error, 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, runFailed: 1, usage: 2, interrupted: 130 } as const;

/** What the process gives the CLI besides its streams: the Ctrl-C signal. */
export interface CliContext {
  /** Aborted at the first Ctrl-C: the run in progress stops at its next step with a checkpoint. */
  stop?: AbortSignal;
}

const backendOption = () =>
  new Option('--backend <name>', "TF.js backend for every run: auto or a registered backend's id (see `clusterflow list`); default: the config's");

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new InvalidArgumentError(`expected non-negative integers separated by commas, e.g. 0,1,2 (got '${text}')`);
  // Compared as text: 2^53 + 1 would otherwise be rounded to 2^53 without a word.
  const big = seeds.find((s) => BigInt(s) > BigInt(MAX_SEED));
  if (big !== undefined) throw new InvalidArgumentError(`a seed is at most ${MAX_SEED} (the random generator takes 32 bits; got ${big})`);
  return [...new Set(seeds.map(Number))];
}

/** `--only a,b`: at least one name. */
function parseNames(text: string): string[] {
  const names = text.split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError(`expected run names separated by commas, e.g. cc,simclr (got '${text}')`);
  return names;
}

function parsePositiveInt(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError(`expected a positive integer (got '${text}')`);
  return Number(text);
}

const defaultOut = (config: string) => resolve('results', basename(config, extname(config)));

/** The code a finished bench or train exits with, and the resume hint of an interrupted one. */
function outcome(bench: BenchResult, io: CliIo, resumeHint: (dir: string) => string): number {
  const interrupted = bench.runs.find((r) => r.status === 'interrupted');
  if (interrupted) {
    io.stderr.write(
      `interrupted: ${interrupted.name} (seed ${interrupted.seed}) after ${interrupted.epochsDone} of ${interrupted.epochs} epochs; ` +
        `checkpoint ${interrupted.resumeFrom ?? '(none written)'}\nresume with: ${resumeHint(interrupted.dir)}\n`,
    );
    return EXIT.interrupted;
  }
  return bench.failed > 0 ? EXIT.runFailed : EXIT.ok;
}

/** `--resume <checkpoint | run folder>`: the checkpoint, and the bench folder a run folder belongs to. */
export function resumeTarget(path: string): { checkpoint: string; runDir?: string } {
  const p = resolve(path);
  if (!existsSync(p)) throw new ConfigError(`--resume: ${path} does not exist`);
  if (!statSync(p).isDirectory()) return { checkpoint: p };
  for (const candidate of [join(p, 'checkpoints', 'last.ckpt'), join(p, 'last.ckpt')]) {
    if (existsSync(candidate)) return { checkpoint: candidate, runDir: candidate.endsWith(join('checkpoints', 'last.ckpt')) ? p : undefined };
  }
  // No last.ckpt (a full disk, a kill while writing it): the newest epoch checkpoint (whole ones are checked before training).
  const newest = checkpointsOf(join(p, 'checkpoints'))[0];
  if (newest) return { checkpoint: newest, runDir: p };
  throw new ConfigError(`--resume: ${path} holds no checkpoints/last.ckpt, last.ckpt or epoch checkpoint`);
}

/** What actions leave behind: the exit code, and what to close on the way out (a live view's server). */
export interface CliState {
  code: number;
  atExit?: (() => Promise<void>)[];
}

/** The `clusterflow` command line; actions set `state.code`, and parse errors become codes too. */
export function buildProgram(io: CliIo, state: CliState, cli: CliContext = {}): Command {
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
    .option('--only <names>', 'only the runs with these names, comma-separated, e.g. cc,simclr', parseNames)
    .option('--resume', 'continue an earlier bench in the same --out folder: keep finished runs, resume interrupted ones from their checkpoints')
    .option('--force', 'train again the runs that --out holds as finished, replacing their files (without it, they are refused)')
    .option('--log-every <n>', 'without a terminal: a progress line every n steps', parsePositiveInt, 20)
    .option('--queue <url>', 'queue the runs on this Redis (redis://host:port) for `clusterflow worker`s, wait for them and write the same results')
    .option('--detach', 'with --queue: return once the runs are queued; `clusterflow report` gathers them later')
    .option('--serve', 'also serve a live view of the runs in the browser (see `clusterflow serve`), kept up after the bench until Ctrl-C')
    .addOption(portOption())
    .addOption(hostOption())
    .addOption(tokenOption())
    .addOption(allowHostOption())
    .action(async (configs: string[], o: { out?: string; backend?: string; seeds?: number[]; only?: string[]; resume?: boolean; force?: boolean; logEvery: number; queue?: string; detach?: boolean; serve?: boolean; port: number; host: string; token?: string; allowHost?: string[] }) => {
      if (o.detach && !o.queue) throw new ConfigError('--detach: only with --queue');
      if (o.resume && o.queue) throw new ConfigError('--resume: not with --queue (workers continue lost runs themselves; `clusterflow report` gathers a bench again)');
      const address = o.queue ? parseQueueUrl(o.queue) : undefined;
      // Every config and every run is validated before anything trains: a typo in the
      // seventh run should not cost the first six.
      const plans = await Promise.all(configs.map((c) => loadBenchConfig(c)));
      if (o.only) checkRunNames(plans, o.only);
      const planned: PlannedRun[][] = [];
      for (const plan of plans) planned.push(await planRuns(plan, o));
      if (address) {
        const outs = plans.map((plan, i) => (o.out ? (plans.length > 1 ? resolve(o.out, plan.name) : resolve(o.out)) : defaultOut(configs[i])));
        state.code = await benchOnQueue(address, plans.map((p, i) => ({ name: p.name, runs: planned[i], out: outs[i] })), o.detach === true, io, cli);
        return;
      }
      const live = o.serve ? await openLiveView(o.out ? resolve(o.out) : configs.length === 1 ? defaultOut(configs[0]) : resolve('results'), o, io, state) : undefined;
      let code: number = EXIT.ok;
      for (const [i, plan] of plans.entries()) {
        const out = o.out ? (plans.length > 1 ? resolve(o.out, plan.name) : resolve(o.out)) : defaultOut(configs[i]);
        const bench = await runBench(plan.name, planned[i], { out, resume: o.resume, force: o.force, stream: io.stdout, logEvery: o.logEvery, stop: cli.stop });
        io.stdout.write(`${plan.name}: ${bench.ok} ok, ${bench.failed} failed${bench.interrupted ? ', 1 interrupted' : ''}; results in ${out}/results.md\n`);
        const c = outcome(bench, io, () => `clusterflow bench ${configs.map((f) => relative(process.cwd(), f)).join(' ')} --out ${relative(process.cwd(), out) || '.'} --resume`);
        if (c === EXIT.interrupted) return void (state.code = c);
        code = Math.max(code, c);
      }
      state.code = code;
      if (live) io.stdout.write(`live view still at ${live.url}; Ctrl-C to stop\n`);
      await live?.serveUntil(cli.stop);
    });

  program
    .command('train')
    .description('train one run config (core run config, YAML/JSON), with checkpoints, results, assignments and plots')
    .argument('<config>', 'run config file')
    .option('--out <dir>', 'output folder (default: results/<config name>, or the bench folder of --resume\'s run folder)')
    .addOption(backendOption())
    .option('--seed <n>', 'seed (default: the config\'s)', (s) => parseSeeds(s)[0])
    .option('--resume <path>', 'continue from a checkpoint, or from a run folder written by train (its checkpoints/last.ckpt)')
    .option('--force', 'train again a run that --out holds as finished, replacing its files (without it, it is refused)')
    .option('--log-every <n>', 'without a terminal: a progress line every n steps', parsePositiveInt, 20)
    .action(async (config: string, o: { out?: string; backend?: string; seed?: number; resume?: string; force?: boolean; logEvery: number }) => {
      const target = o.resume ? resumeTarget(o.resume) : undefined;
      const parsed = await loadRunConfig(config);
      const run = { ...parsed, train: { ...parsed.train, resume: target?.checkpoint ?? parsed.train.resume } };
      const plan = { name: run.name, baseDir: dirname(resolve(config)), runs: [run] };
      const out = resolve(o.out ?? (target?.runDir ? dirname(target.runDir) : defaultOut(config)));
      const planned = await planRuns(plan, { backend: o.backend, seeds: o.seed === undefined ? undefined : [o.seed] });
      const bench = await runBench(plan.name, planned, { out, resume: target !== undefined, force: o.force, stream: io.stdout, logEvery: o.logEvery, checkpoint: true, stop: cli.stop });
      const dir = join(out, bench.runs[0].dir);
      // A run that failed before its first checkpoint has none: name only what is there.
      const checkpoints = join(dir, 'checkpoints');
      io.stdout.write(`results in ${out}/results.md${existsSync(checkpoints) ? `; checkpoints in ${checkpoints}` : ''}\n`);
      state.code = outcome(bench, io, () => `clusterflow train ${relative(process.cwd(), config)} --resume ${relative(process.cwd(), dir)}`);
    });

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

  addPredictCommands(program, { io, state, stop: cli.stop });

  program
    .command('serve')
    .description('a live view in the browser of the runs under a folder (bench and train output): curves, metrics, cluster sizes, samples; updated as runs train')
    .argument('[folder]', 'runs folder', 'results')
    .addOption(portOption())
    .addOption(hostOption())
    .addOption(tokenOption())
    .addOption(allowHostOption())
    .action(async (folder: string, o: { port: number; host: string; token?: string; allowHost?: string[] }) => {
      if (!existsSync(folder)) throw new ConfigError(`serve: ${folder} does not exist (give a folder of runs, e.g. what bench --out wrote)`);
      const live = await openLiveView(resolve(folder), o, io, state);
      await live.serveUntil(cli.stop);
      state.code = EXIT.ok;
    });

  program
    .command('worker')
    .description('take runs from a queue (`clusterflow bench --queue`) and train them, until Ctrl-C; start one or more on every machine')
    .requiredOption('--queue <url>', 'the Redis of the queue, redis://host:port')
    .option('--concurrency <n>', 'runs at a time, each in a process of its own', parsePositiveInt, 1)
    .addOption(new Option('--backend <name>', "TF.js backend for every run this worker takes: auto or a registered backend's id; default: each run's config's"))
    .option('--out <dir>', 'a folder the workers share (the same files on every machine): run folders and checkpoints, so that a lost run continues from its last checkpoint')
    .option('--base-dir <dir>', "folder that the runs' relative paths (data, plugins) are resolved against (default: the bench config's folder where it was queued)")
    .option('--log-every <n>', 'a progress line every n steps', parsePositiveInt, 20)
    .option('--lock-seconds <n>', 'a run whose worker has been silent this long goes to another worker', parsePositiveInt, 30)
    .option('--give-up-after <seconds>', 'stop with an error when Redis has not answered for this long (default: wait for it for ever)', parsePositiveInt)
    .action(async (o: { queue: string; concurrency: number; backend?: string; out?: string; baseDir?: string; logEvery: number; lockSeconds: number; giveUpAfter?: number }) => {
      const address = parseQueueUrl(o.queue);
      await runWorker({ ...o, address, out: o.out && resolve(o.out), baseDir: o.baseDir && resolve(o.baseDir), stream: io.stdout, stop: cli.stop });
      state.code = EXIT.ok;
    });

  program
    .command('report')
    .description('gather a bench queued with `clusterflow bench --queue --detach`: wait for its runs, then write its results and run folders')
    .requiredOption('--queue <url>', 'the Redis of the queue, redis://host:port')
    .requiredOption('--out <dir>', 'the folder the bench was queued with (it holds queue.json)')
    .action(async (o: { queue: string; out: string }) => {
      const address = parseQueueUrl(o.queue);
      const benches = await readManifests(resolve(o.out));
      if (benches.length === 0) throw new ConfigError(`--out: ${o.out} holds no queue.json (written by clusterflow bench --queue)`);
      const queue = await openQueue<RunJobData, RunJobResult>(address);
      try {
        state.code = await gather(queue, address, benches, io, cli);
      } finally {
        await queue.close();
      }
    });

  program
    .command('list')
    .description('list every registered component (objectives, backbones, datasets, augmentations, transforms, metrics, optimizers, schedules, hooks, backends) with origin and options')
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

/** `bench --queue`: queues every run, then (unless detached) waits for them and writes the results. */
async function benchOnQueue(address: QueueAddress, benches: { name: string; runs: PlannedRun[]; out: string }[], detach: boolean, io: CliIo, cli: CliContext): Promise<number> {
  const queue = await openQueue<RunJobData, RunJobResult>(address);
  try {
    const queued: QueuedBenchOut[] = [];
    for (const b of benches) {
      const bench = await enqueueBench(queue, b.name, b.runs, b.out);
      io.stdout.write(`${b.name}: ${bench.runs.length} runs queued on ${address.display} as ${bench.id}\n`);
      queued.push({ out: b.out, bench });
    }
    if (detach) {
      io.stdout.write(`gather the results with: ${reportHint(address, queued)}\n`);
      return EXIT.ok;
    }
    return await gather(queue, address, queued, io, cli);
  } finally {
    await queue.close();
  }
}

/** Waits for queued benches and writes their results; returns the exit code. */
async function gather(queue: Queue<RunJobData, RunJobResult>, address: QueueAddress, benches: QueuedBenchOut[], io: CliIo, cli: CliContext): Promise<number> {
  sayErrors(queue, (text) => io.stderr.write(`${text}\n`));
  const { results, pending } = await gatherBenches(queue, benches, { stream: io.stdout, stop: cli.stop });
  for (const [i, r] of results.entries()) io.stdout.write(`${r.name}: ${r.ok} ok, ${r.failed} failed; results in ${benches[i].out}/results.md\n`);
  if (pending > 0) {
    io.stderr.write(`stopped waiting: ${pending} run(s) still in the queue, where the workers go on with them\ngather them with: ${reportHint(address, benches)}\n`);
    return EXIT.interrupted;
  }
  return results.some((r) => r.failed > 0) ? EXIT.runFailed : EXIT.ok;
}

const reportHint = (address: QueueAddress, benches: QueuedBenchOut[]) =>
  [...new Set(benches.map((b) => relative(process.cwd(), b.out) || '.'))].map((out) => `clusterflow report --queue ${address.display} --out ${out}`).join('; ');

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }, cli: CliContext = {}): Promise<number> {
  const state: CliState = { code: EXIT.ok };
  const program = buildProgram(io, state, cli);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // Found before anything trained: the config (or a plugin it names) is at fault.
    if (err instanceof ConfigError || err instanceof UnknownComponentError || err instanceof PluginError) {
      io.stderr.write(`${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`error: ${err instanceof Error ? `${err.name === 'Error' ? '' : err.name + ': '}${err.message}` : String(err)}\n`);
    return EXIT.runFailed;
  } finally {
    for (const close of state.atExit ?? []) await close();
  }
}
