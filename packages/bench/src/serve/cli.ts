import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, startLiveView, type LiveView } from './server.js';

/** `--port`: where the live view listens. */
export const portOption = () =>
  new Option('--port <n>', `port of the live view (0: any free port)`).argParser(parsePort).default(DEFAULT_PORT);

/** `--host`: loopback unless asked otherwise, since the page shows the runs to whoever reaches it. */
export const hostOption = () => new Option('--host <address>', `address the live view listens on (e.g. 0.0.0.0 for every interface)`).default(DEFAULT_HOST);

export function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new InvalidArgumentError(`expected a port number from 0 to 65535 (got '${text}')`);
  return Number(text);
}

/**
 * Starts the live view of `root` for a command, says where it is, and has it closed
 * when the command returns (`atExit`, run by runCli whatever the way out).
 */
export async function openLiveView(
  root: string,
  o: { port: number; host: string },
  io: { stdout: NodeJS.WriteStream },
  state: { atExit?: (() => Promise<void>)[] },
): Promise<LiveView> {
  const live = await startLiveView({ root, port: o.port, host: o.host });
  (state.atExit ??= []).push(live.close);
  io.stdout.write(`live view: ${live.url} (runs under ${root})\n`);
  return live;
}
