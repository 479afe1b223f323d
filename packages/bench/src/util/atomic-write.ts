import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { renameSync, writeFileSync } from 'node:fs';

const tmpName = (path: string) => `${path}.${randomBytes(4).toString('hex')}.tmp`;

/**
 * Writes `path` through a temporary file in the same folder and a rename, so a
 * reader (another machine on a shared folder, a later resume) never sees half a file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tmpName(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The same, synchronously: for event handlers that must finish before the run goes on. */
export function writeFileAtomicSync(path: string, data: string): void {
  const tmp = tmpName(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
