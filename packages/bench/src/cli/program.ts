import { Command, CommanderError } from 'commander';
import { ConfigError, PluginError, UnknownComponentError } from '@clusterflow/core';
import { addBenchCommand } from './bench.js';
import { EXIT, type CliContext, type CliIo, type CliState } from './context.js';
import { addEvalCommand } from './eval.js';
import { addExportCommand } from './export.js';
import { addListCommand } from './list.js';
import { addPredictCommand } from './predict.js';
import { addReportCommand } from './report.js';
import { addServeCommand } from './serve.js';
import { addTrainCommand } from './train.js';
import { addWorkerCommand } from './worker.js';

/** The `clusterflow` command line; actions set `state.code`, and parse errors become codes too. */
export function buildProgram(io: CliIo, state: CliState, cli: CliContext = {}): Command {
  const program = new Command('clusterflow')
    .description('Deep clustering benchmarks on TensorFlow.js: train, evaluate and compare clustering objectives')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  // In this order in --help.
  const context = { io, state, cli };
  for (const add of [
    addBenchCommand,
    addTrainCommand,
    addEvalCommand,
    addPredictCommand,
    addExportCommand,
    addServeCommand,
    addWorkerCommand,
    addReportCommand,
    addListCommand,
  ]) {
    add(program, context);
  }
  return program;
}

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
