#!/usr/bin/env node
// The `clusterflow` executable (package.json "bin").
import { EXIT, runCli } from './cli.js';

// The first Ctrl-C stops the run in progress at its next step, with a checkpoint and
// partial results; a second one exits at once.
const stop = new AbortController();
// Commands that train stop at a step boundary; the others (serve, report, list) just stop.
const trains = ['bench', 'train', 'worker'].includes(process.argv[2] ?? '');
process.on('SIGINT', () => {
  if (stop.signal.aborted) process.exit(EXIT.interrupted);
  process.stderr.write(trains ? '\nstopping at the next step boundary (Ctrl-C again to quit at once)\n' : '\nstopping (Ctrl-C again to quit at once)\n');
  stop.abort('interrupted (Ctrl-C)');
});

process.exitCode = await runCli(process.argv.slice(2), undefined, { stop: stop.signal });
