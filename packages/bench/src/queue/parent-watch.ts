/**
 * A training process forked by a worker stops as soon as that worker is gone (killed):
 * its run is handed to another worker, so this one must not go on writing beside it.
 */

/** How often the parent's pid is checked, in ms: a run has a checkpoint per epoch, so a fraction of a second loses nothing. */
const CHECK_MS = 200;

/**
 * Exits with code 1 when the parent process dies. Three signs, any one enough: the IPC
 * channel's 'disconnect' (the usual one); the parent pid changing (the process was
 * re-parented), which holds even where the channel's end lives on in another process;
 * and a broken stdout or stderr (EPIPE: the worker was their reader), which would otherwise
 * reach BullMQ's uncaughtException handler, whose report to the dead parent fails in turn.
 */
export function exitWhenParentGone(): void {
  if (!process.send) return;
  const parent = process.ppid;
  const exit = () => process.exit(1);
  process.on('disconnect', exit);
  setInterval(() => {
    if (process.ppid !== parent) exit();
  }, CHECK_MS).unref();
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') exit();
      else throw err;
    });
  }
}
