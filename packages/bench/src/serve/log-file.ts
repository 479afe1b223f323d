import type { FileHandle } from 'node:fs/promises';

/**
 * How many bytes from its start tell one log from the next written in the same
 * place: every line starts with the time it was written (`{"t":<ms>,...`), so a
 * new run's log starts differently. Inode numbers do not do it: a removed file's
 * number is given to the next one.
 */
const HEAD_BYTES = 48;

/** The start of an open log of `size` bytes, which identifies it; undefined while it is too short to say. */
export async function logHead(fh: FileHandle, size: number): Promise<string | undefined> {
  if (size < HEAD_BYTES) return undefined;
  const buf = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
  return bytesRead === HEAD_BYTES ? buf.toString('latin1') : undefined;
}
