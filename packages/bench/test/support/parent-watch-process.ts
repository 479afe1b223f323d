/**
 * Plays both processes of parent-watch.spec: `worker` forks this file as `training` the way
 * BullMQ forks a processor (stdio piped to the worker, an IPC channel), prints the child's
 * pid and stays alive until killed; `training` watches its parent and, with `chatty`, writes
 * a line every few milliseconds, as a run's progress does.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exitWhenParentGone } from '../../src/queue/parent-watch.js';

const [role, mode] = process.argv.slice(2);
if (role === 'worker') {
  const child = fork(fileURLToPath(import.meta.url), ['training', mode], { execArgv: process.execArgv, stdio: 'pipe' });
  child.stdout!.pipe(process.stdout);
  child.stderr!.pipe(process.stderr);
  process.stdout.write(`training ${child.pid}\n`);
  setInterval(() => {}, 1000);
} else {
  // As BullMQ's processor wrapper does (main-base.js): report the error to the parent, then exit.
  process.on('uncaughtException', async () => {
    await new Promise<void>((resolve, reject) => process.send!({ cmd: 'failed' }, (err: Error | null) => (err ? reject(err) : resolve())));
    process.exit();
  });
  exitWhenParentGone();
  process.stdout.write('ready\n');
  if (mode === 'chatty') setInterval(() => process.stdout.write('step\n'), 2);
  else setInterval(() => {}, 1000);
}
