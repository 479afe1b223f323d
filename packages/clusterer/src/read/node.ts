import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkFileName, fetchSource, type ModelSource } from './source.js';

/** Node: a URL is fetched; anything else is a folder, or its model.json, on disk. */
export async function modelSource(urlOrPath: string, fetchImpl?: typeof fetch): Promise<ModelSource> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(urlOrPath)) return fetchSource(urlOrPath, fetchImpl);
  let dir = urlOrPath;
  try {
    if (!(await stat(urlOrPath)).isDirectory()) dir = dirname(urlOrPath);
  } catch (err) {
    throw new Error(`model ${urlOrPath}: ${(err as Error).message}`);
  }
  return {
    name: urlOrPath,
    async read(file) {
      checkFileName(file, urlOrPath);
      try {
        return new Uint8Array(await readFile(join(dir, file)));
      } catch (err) {
        throw new Error(`model ${urlOrPath}: cannot read ${file}: ${(err as Error).message}`);
      }
    },
  };
}
