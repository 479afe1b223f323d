import { readFile } from 'node:fs/promises';

/** A process's state letter from /proc/<pid>/stat (R, S, D, Z, ...), or undefined when it is gone. */
export async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command's closing parenthesis: the state first.
  return stat ? stat[stat.lastIndexOf(')') + 2] : undefined;
}

/** Running: not gone, and not a zombie waiting to be reaped. */
export async function isRunning(pid: number): Promise<boolean> {
  const state = await processState(pid);
  return state !== undefined && state !== 'Z';
}
