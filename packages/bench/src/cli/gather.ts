import { relative } from 'node:path';
import type { Queue } from 'bullmq';
import { sayErrors, type QueueAddress } from '../queue/connection.js';
import { gatherBenches, type QueuedBenchOut } from '../queue/gather.js';
import type { RunJobData, RunJobResult } from '../queue/jobs.js';
import { EXIT, type CliContext, type CliIo } from './context.js';

/** Waits for queued benches and writes their results (`bench --queue`, `report`); returns the exit code. */
export async function gather(
  queue: Queue<RunJobData, RunJobResult>,
  address: QueueAddress,
  benches: QueuedBenchOut[],
  io: CliIo,
  cli: CliContext,
): Promise<number> {
  sayErrors(queue, (text) => io.stderr.write(`${text}\n`));
  const { results, pending } = await gatherBenches(queue, benches, { stream: io.stdout, stop: cli.stop });
  for (const [i, r] of results.entries()) io.stdout.write(`${r.name}: ${r.ok} ok, ${r.failed} failed; results in ${benches[i].out}/results.md\n`);
  if (pending > 0) {
    io.stderr.write(
      `stopped waiting: ${pending} run(s) still in the queue, where the workers go on with them\ngather them with: ${reportHint(address, benches)}\n`,
    );
    return EXIT.interrupted;
  }
  return results.some((r) => r.failed > 0) ? EXIT.runFailed : EXIT.ok;
}

/** The `clusterflow report` command line that gathers these benches later. */
export const reportHint = (address: QueueAddress, benches: QueuedBenchOut[]) =>
  [...new Set(benches.map((b) => relative(process.cwd(), b.out) || '.'))].map((out) => `clusterflow report --queue ${address.display} --out ${out}`).join('; ');
