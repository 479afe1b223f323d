import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { throwIfAborted } from '../../loop/abort.js';
import type { CheckpointStore } from '../checkpoint-store.js';

/**
 * Checkpoints as files: written to a temporary file in the same folder, synced,
 * then renamed, so a crash never leaves half a checkpoint; an abort removes the
 * temporary file before the rename.
 */
export const checkpointFiles: CheckpointStore = {
  async write(path, bytes, signal) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempPath(path);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes, { signal });
      await fh.sync();
      throwIfAborted(signal);
    } catch (err) {
      await fh.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(tmp, path);
  },

  async read(path) {
    return new Uint8Array(await readFile(path));
  },

  async readStart(path, length) {
    const fh = await open(path, 'r');
    try {
      // No more than the file holds: a damaged header may claim a length of gigabytes.
      const { size } = await fh.stat();
      const { buffer, bytesRead } = await fh.read({ buffer: new Uint8Array(Math.min(length, size)), position: 0 });
      return buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  },

  async copy(from, to) {
    const tmp = tempPath(to);
    try {
      await copyFile(from, tmp);
      const fh = await open(tmp, 'r+');
      await fh.sync();
      await fh.close();
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await rename(tmp, to);
  },
};

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}
