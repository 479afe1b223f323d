import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DataError } from './errors.js';

/** A decoded image: RGBA bytes, row-major, whatever the file's own colour type. */
export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

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

/** True when every pixel has R = G = B (alpha ignored). */
export function isGray(img: DecodedImage): boolean {
  const d = img.rgba;
  for (let p = 0; p < d.length; p += 4) if (d[p] !== d[p + 1] || d[p] !== d[p + 2]) return false;
  return true;
}

/** RGBA -> channel-last uint8 with 1 (the R plane of a gray image) or 3 channels; alpha is dropped. */
export function toChannels(img: DecodedImage, channels: 1 | 3): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * channels);
  const d = img.rgba;
  if (channels === 1) {
    // ITU-R 601 luma, as PIL's convert('L'); exact for gray images (R = G = B).
    for (let p = 0; p < n; p++) out[p] = Math.round((d[4 * p] * 299 + d[4 * p + 1] * 587 + d[4 * p + 2] * 114) / 1000);
  } else {
    for (let p = 0; p < n; p++) {
      out[3 * p] = d[4 * p];
      out[3 * p + 1] = d[4 * p + 1];
      out[3 * p + 2] = d[4 * p + 2];
    }
  }
  return out;
}
