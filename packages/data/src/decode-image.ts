import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DataError } from './errors.js';
import type { DecodedImage } from './image-pixels.js';

export * from './image-pixels.js';

/** Image formats the folder loader reads, by file extension. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** Decodes a PNG or JPEG by its magic bytes (not its name). */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) {
      const png = pngjs.PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true });
      return { width: img.width, height: img.height, rgba: img.data };
    }
  } catch (err) {
    throw new DataError(`cannot decode '${file}': ${(err as Error).message}`, { cause: err });
  }
  throw new DataError(`'${file}' is neither a PNG nor a JPEG (by its first bytes)`);
}
