import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { PackedFile } from './jobs.js';

/** The files directly in a run's folder (results, assignments, plots), packed for the queue; sub-folders (checkpoints) stay. */
export async function packRunFolder(dir: string): Promise<PackedFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: PackedFile[] = [];
  for (const e of entries.filter((e) => e.isFile() && !e.name.endsWith('.tmp')).sort((a, b) => a.name.localeCompare(b.name))) {
    files.push({ name: e.name, gzip: gzipSync(await readFile(join(dir, e.name))).toString('base64') });
  }
  return files;
}

/** Writes packed files into `dir`; a name that would leave the folder is refused. */
export async function unpackRunFiles(dir: string, files: readonly PackedFile[]): Promise<void> {
  for (const f of files) {
    if (!/^[\w-][\w.-]*$/.test(f.name)) throw new Error(`refusing to write '${f.name}' from the queue: not a plain file name`);
    await writeFileAtomic(join(dir, f.name), gunzipSync(Buffer.from(f.gzip, 'base64')));
  }
}
