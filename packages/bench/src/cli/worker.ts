import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseQueueUrl } from '../queue/connection.js';
import { runWorker, type WorkerOptions } from '../queue/worker.js';
import { EXIT, type CommandContext } from './context.js';
import { parsePositiveInt } from './options.js';

/** The command's flags: the worker's options as typed on the command line (`--queue` a URL). */
type WorkerFlags = Omit<WorkerOptions, 'address' | 'stream' | 'stop'> & { queue: string };

/** `clusterflow worker`: trains the runs of a queue until Ctrl-C. */
export function addWorkerCommand(program: Command, { io, state, cli }: CommandContext): void {
  program
    .command('worker')
    .description('take runs from a queue (`clusterflow bench --queue`) and train them, until Ctrl-C; start one or more on every machine')
    .requiredOption('--queue <url>', 'the Redis of the queue, redis://host:port')
    .option('--concurrency <n>', 'runs at a time, each in a process of its own', parsePositiveInt, 1)
    .addOption(new Option('--backend <name>', "TF.js backend for every run this worker takes: auto or a registered backend's id; default: each run's config's"))
    .option(
      '--out <dir>',
      'a folder the workers share (the same files on every machine): run folders and checkpoints, so that a lost run continues from its last checkpoint',
    )
    .option(
      '--base-dir <dir>',
      "folder that the runs' relative paths (data, plugins) are resolved against (default: the bench config's folder where it was queued)",
    )
    .option('--log-every <n>', 'a progress line every n steps', parsePositiveInt, 20)
    .option('--lock-seconds <n>', 'a run whose worker has been silent this long goes to another worker', parsePositiveInt, 30)
    .option('--give-up-after <seconds>', 'stop with an error when Redis has not answered for this long (default: wait for it for ever)', parsePositiveInt)
    .action(async (o: WorkerFlags) => {
      const address = parseQueueUrl(o.queue);
      await runWorker({ ...o, address, out: o.out && resolve(o.out), baseDir: o.baseDir && resolve(o.baseDir), stream: io.stdout, stop: cli.stop });
      state.code = EXIT.ok;
    });
}
