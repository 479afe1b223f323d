import { runCli } from '@clusterflow/bench';

/** A stream stand-in that keeps what was written (not a TTY: progress comes as plain lines). */
export function capture(): NodeJS.WriteStream & { text(): string } {
  let buf = '';
  return { isTTY: false, write: (s: string) => ((buf += s), true), text: () => buf } as unknown as NodeJS.WriteStream & { text(): string };
}

/** Runs the CLI in-process and returns its exit code and output. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { stdout, stderr });
  return { code, out: stdout.text(), err: stderr.text() };
}
