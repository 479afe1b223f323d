import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '@clusterflow/core';
import { openQueue, parseQueueUrl } from '../queue/connection.js';
import type { RunJobData, RunJobResult } from '../queue/jobs.js';
import { readManifests } from '../queue/manifest.js';
import type { CommandContext } from './context.js';
import { gather } from './gather.js';

/** `clusterflow report`: gathers a bench queued with `bench --queue --detach`. */
export function addReportCommand(program: Command, { io, state, cli }: CommandContext): void {
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
}
