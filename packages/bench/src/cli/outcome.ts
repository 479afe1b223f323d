import type { BenchResult } from '../report/results.js';
import { EXIT, type CliIo } from './context.js';

/** The code a finished bench or train exits with, and the resume hint of an interrupted one. */
export function outcome(bench: BenchResult, io: CliIo, resumeHint: (dir: string) => string): number {
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
