import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '@clusterflow/core';
import { openQueue, parseQueueUrl, type QueueAddress } from '../queue/connection.js';
import { enqueueBench } from '../queue/enqueue.js';
import type { QueuedBenchOut } from '../queue/gather.js';
import type { RunJobData, RunJobResult } from '../queue/jobs.js';
import { loadBenchConfig } from '../run/bench-config.js';
import { checkRunNames, planRuns, runBench } from '../run/bench.js';
import type { PlannedRun } from '../run/planned-run.js';
import { allowHostOption, hostOption, openLiveView, portOption, tokenOption } from '../serve/cli.js';
import { EXIT, type CliContext, type CliIo, type CommandContext } from './context.js';
import { gather, reportHint } from './gather.js';
import { backendOption, defaultOut, parseNames, parsePositiveInt, parseSeeds } from './options.js';
import { outcome } from './outcome.js';

/** `clusterflow bench`: every run of one or more bench configs, here or on a queue. */
export function addBenchCommand(program: Command, { io, state, cli }: CommandContext): void {
  program
    .command('bench')
    .description('train every run of one or more bench configs (YAML/JSON with `runs:`) and write results, assignments and plots')
    .argument('<config...>', 'bench config files')
    .option('--out <dir>', 'output folder (default: results/<config name>)')
    .addOption(backendOption())
    .option('--seeds <list>', "repeat each run once per seed, e.g. 0,1,2 (default: each run's own seed)", parseSeeds)
    .option('--only <names>', 'only the runs with these names, comma-separated, e.g. cc,simclr', parseNames)
    .option(
      '--resume',
      'continue an earlier bench in the same --out folder: keep finished runs, resume interrupted and failed ones from their newest whole checkpoints',
    )
    .option(
      '--force',
      'train again from the start the runs that --out holds (finished, or failed or interrupted with checkpoints), replacing their files (without it or --resume, they are refused)',
    )
    .option('--log-every <n>', 'without a terminal: a progress line every n steps', parsePositiveInt, 20)
    .option('--queue <url>', 'queue the runs on this Redis (redis://host:port) for `clusterflow worker`s, wait for them and write the same results')
    .option('--detach', 'with --queue: return once the runs are queued; `clusterflow report` gathers them later')
    .option('--serve', 'also serve a live view of the runs in the browser (see `clusterflow serve`), kept up after the bench until Ctrl-C')
    .addOption(portOption())
    .addOption(hostOption())
    .addOption(tokenOption())
    .addOption(allowHostOption())
    .action(
      async (
        configs: string[],
        o: {
          out?: string;
          backend?: string;
          seeds?: number[];
          only?: string[];
          resume?: boolean;
          force?: boolean;
          logEvery: number;
          queue?: string;
          detach?: boolean;
          serve?: boolean;
          port: number;
          host: string;
          token?: string;
          allowHost?: string[];
        },
      ) => {
        if (o.detach && !o.queue) throw new ConfigError('--detach: only with --queue');
        if (o.resume && o.queue)
          throw new ConfigError('--resume: not with --queue (workers continue lost runs themselves; `clusterflow report` gathers a bench again)');
        const address = o.queue ? parseQueueUrl(o.queue) : undefined;
        // Every config and every run is validated before anything trains: a typo in the
        // seventh run should not cost the first six.
        const plans = await Promise.all(configs.map((c) => loadBenchConfig(c)));
        if (o.only) checkRunNames(plans, o.only);
        const planned: PlannedRun[][] = [];
        for (const plan of plans) planned.push(await planRuns(plan, o));
        if (address) {
          const picking = planned.flat().find((r) => r.candidates);
          // A worker trains one run; choosing among candidates needs them all in one place.
          if (picking) throw new ConfigError(`--queue: run ${picking.dir} chooses among candidate seeds (candidates:), which only a local bench does`);
          const outs = plans.map((plan, i) => (o.out ? (plans.length > 1 ? resolve(o.out, plan.name) : resolve(o.out)) : defaultOut(configs[i])));
          state.code = await benchOnQueue(
            address,
            plans.map((p, i) => ({ name: p.name, runs: planned[i], out: outs[i] })),
            o.detach === true,
            io,
            cli,
          );
          return;
        }
        const live = o.serve
          ? await openLiveView(o.out ? resolve(o.out) : configs.length === 1 ? defaultOut(configs[0]) : resolve('results'), o, io, state)
          : undefined;
        let code: number = EXIT.ok;
        for (const [i, plan] of plans.entries()) {
          const out = o.out ? (plans.length > 1 ? resolve(o.out, plan.name) : resolve(o.out)) : defaultOut(configs[i]);
          const bench = await runBench(plan.name, planned[i], {
            out,
            resume: o.resume,
            force: o.force,
            stream: io.stdout,
            logEvery: o.logEvery,
            stop: cli.stop,
          });
          io.stdout.write(`${plan.name}: ${bench.ok} ok, ${bench.failed} failed${bench.interrupted ? ', 1 interrupted' : ''}; results in ${out}/results.md\n`);
          const c = outcome(bench, io, () => resumeCommand(configs, o));
          if (c === EXIT.interrupted) return void (state.code = c);
          code = Math.max(code, c);
        }
        state.code = code;
        if (live) io.stdout.write(`live view still at ${live.url}; Ctrl-C to stop\n`);
        await live?.serveUntil(cli.stop);
      },
    );
}

/**
 * The command that continues an interrupted bench: the same configs, --out and the
 * options that choose what runs (--seeds, --only, --backend), so it plans the same runs
 * again rather than the config's own seeds.
 */
export function resumeCommand(configs: string[], o: { out?: string; seeds?: number[]; only?: string[]; backend?: string }): string {
  const rel = (p: string) => relative(process.cwd(), resolve(p)) || '.';
  const args = ['clusterflow bench', ...configs.map(rel)];
  if (o.out) args.push('--out', rel(o.out));
  else if (configs.length === 1) args.push('--out', rel(defaultOut(configs[0])));
  if (o.seeds) args.push('--seeds', o.seeds.join(','));
  if (o.only) args.push('--only', o.only.join(','));
  if (o.backend) args.push('--backend', o.backend);
  return [...args, '--resume'].join(' ');
}

/** `bench --queue`: queues every run, then (unless detached) waits for them and writes the results. */
async function benchOnQueue(
  address: QueueAddress,
  benches: { name: string; runs: PlannedRun[]; out: string }[],
  detach: boolean,
  io: CliIo,
  cli: CliContext,
): Promise<number> {
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
