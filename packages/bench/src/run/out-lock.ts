import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@clusterflow/core';

/** Who holds an output folder: written into its lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/** The lock file of an output folder. */
export const LOCK_FILE = '.clusterflow.lock';

/** Whether a process of this machine is alive (EPERM: alive, another user's). */
function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h?.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<dir>/.clusterflow.lock` for this process, atomically (O_EXCL: of two
 * processes, one creates it, the other finds it), so that two benches never write
 * one folder at once. A lock whose process is gone (on this machine) is taken over;
 * one held on another machine, or by a live process, is an error naming the holder.
 * Returns the release, which removes the file if it is still this process's.
 */
export function lockOut(dir: string, command: string): () => void {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify(me) + '\n');
      } finally {
        closeSync(fd);
      }
      return () => {
        const now = readHolder(path);
        if (now?.pid === me.pid && now.host === me.host) rmSync(path, { force: true });
      };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EROFS' || e.code === 'EACCES') throw new ConfigError(`--out ${dir}: the folder is read-only (${e.code}); choose another --out`);
      if (e.code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    // Half written by a process that died between create and write, or gone: stale.
    const stale = holder === undefined || (holder.host === me.host && !alive(holder.pid));
    if (stale && attempt < 2) {
      rmSync(path, { force: true });
      continue;
    }
    const who = holder ? `process ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})` : 'another process';
    throw new ConfigError(
      `--out ${dir} is in use by ${who}; wait for it to finish, or choose another --out` +
        (holder && holder.host !== me.host ? ` (if that process is gone, remove ${path})` : ''),
    );
  }
}
