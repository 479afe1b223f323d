#!/usr/bin/env node
// The `clusterflow` executable (package.json "bin").
import { EXIT } from './cli/context.js';
import { runCli } from './cli/program.js';

// The first Ctrl-C (SIGINT) or SIGTERM stops the run in progress at its next step,
// with a checkpoint and partial results; a second one exits at once. SIGTERM is what
// batch schedulers and container runtimes send before SIGKILL: it gets the same
// clean stop, and the exit code that says which signal it was (128 + 15).
const stop = new AbortController();
// Commands that train stop at a step boundary; the others (serve, report, list) just stop.
const trains = ['bench', 'train', 'worker'].includes(process.argv[2] ?? '');
const SIGNALS = { SIGINT: { name: 'Ctrl-C', code: EXIT.interrupted }, SIGTERM: { name: 'SIGTERM', code: 143 } } as const;
let received: keyof typeof SIGNALS | undefined;
for (const signal of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) {
  process.on(signal, () => {
    const { name, code } = SIGNALS[signal];
    if (stop.signal.aborted) process.exit(code);
    received = signal;
    process.stderr.write(`\n${name}: ${trains ? 'stopping at the next step boundary' : 'stopping'} (${name} again to quit at once)\n`);
    stop.abort(`interrupted (${name})`);
  });
}

const code = await runCli(process.argv.slice(2), undefined, { stop: stop.signal });
// Interrupted by SIGTERM: say so in the exit code, as the shell would for a killed process.
process.exitCode = code === EXIT.interrupted && received === 'SIGTERM' ? SIGNALS.SIGTERM.code : code;
