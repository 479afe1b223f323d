import { DataError } from './errors.js';

/**
 * `bytes` gunzipped when they start with gzip's magic bytes (1f 8b), else as they
 * are, so that `foo-ubyte` and `foo-ubyte.gz` read the same whatever their names
 * (and whether or not a server already undid the gzip). DecompressionStream: in
 * browsers and in Node alike.
 */
export async function gunzipIfNeeded(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new DataError(`'${name}' is a damaged gzip file: ${(err as Error).message}`, { cause: err });
  }
}
