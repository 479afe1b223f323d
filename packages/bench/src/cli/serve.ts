import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '@clusterflow/core';
import { allowHostOption, hostOption, openLiveView, portOption, tokenOption } from '../serve/cli.js';
import { EXIT, type CommandContext } from './context.js';

/** `clusterflow serve`: the live view of a folder of runs, until Ctrl-C. */
export function addServeCommand(program: Command, { io, state, cli }: CommandContext): void {
  program
    .command('serve')
    .description(
      'a live view in the browser of the runs under a folder (bench and train output): curves, metrics, cluster sizes, samples; updated as runs train',
    )
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
}
