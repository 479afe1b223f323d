import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

/**
 * Reads a file, gunzipping it when it starts with the gzip magic bytes (1f 8b), so
 * that `foo-ubyte` and `foo-ubyte.gz` are read the same way whatever their names.
 */
export function readMaybeGzip(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new DataError(`cannot read '${path}': ${(err as Error).message}`, { cause: err });
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return new Uint8Array(gunzipSync(raw));
    } catch (err) {
      throw new DataError(`'${path}' is a damaged gzip file: ${(err as Error).message}`, { cause: err });
    }
  }
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}
