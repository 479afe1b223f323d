import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, startLiveView, type LiveView } from './server.js';

/** `--port`: where the live view listens. */
export const portOption = () => new Option('--port <n>', `port of the live view (0: any free port)`).argParser(parsePort).default(DEFAULT_PORT);

/** `--host`: loopback unless asked otherwise, since the page shows the runs to whoever reaches it. */
export const hostOption = () =>
  new Option(
    '--host <address>',
    `address the live view listens on (e.g. 0.0.0.0 for every interface: then it asks for a token, made up and printed unless --token gives one)`,
  ).default(DEFAULT_HOST);

/** `--token`: what every request must carry (the printed URL carries it). */
export const tokenOption = () =>
  new Option('--token <token>', 'a token the live view asks for on every request (default: none on loopback, a random one beyond)').argParser(parseToken);

/** `--allow-host`: a name of this machine the browser may use besides the bound address (the Host check stops DNS rebinding). */
export const allowHostOption = () =>
  new Option('--allow-host <name>', 'also answer requests made to this host name (repeatable), e.g. a DNS name of this machine').argParser(
    (v: string, prev: string[] = []) => [...prev, v],
  );

function parseToken(text: string): string {
  if (!/^[\x21-\x7e]{8,}$/.test(text)) throw new InvalidArgumentError('expected at least 8 printable characters, no spaces');
  return text;
}

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
  o: { port: number; host: string; token?: string; allowHost?: string[] },
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  state: { atExit?: (() => Promise<void>)[] },
): Promise<LiveView> {
  const live = await startLiveView({ root, port: o.port, host: o.host, token: o.token, allowHosts: o.allowHost, warn: (m) => io.stderr.write(m) });
  (state.atExit ??= []).push(live.close);
  io.stdout.write(`live view: ${live.url} (runs under ${root})\n`);
  return live;
}
