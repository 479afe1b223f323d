import { open } from 'node:fs/promises';

/**
 * How many bytes from its start tell one log from the next written in the same
 * place: every line starts with the time it was written (`{"t":<ms>,...`), so a
 * new run's log starts differently. Inode numbers do not do it: a removed file's
 * number is given to the next one.
 */
const HEAD_BYTES = 48;

/** The bytes [start, end) of a file. */
export async function readBytes(path: string, start: number, end: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, end - start));
  if (buf.length === 0) return buf;
  const fh = await open(path, 'r');
  try {
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The start of a log of `size` bytes, which identifies it; undefined while it is too short to say. */
export async function logHead(path: string, size: number): Promise<string | undefined> {
  return size >= HEAD_BYTES ? (await readBytes(path, 0, HEAD_BYTES)).toString('latin1') : undefined;
}
