import { tf } from '@clusterflow/core';

/** A decoded image: RGBA bytes, row-major, whatever the file's own colour type. */
export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8Array;
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

/** The image's pixels at h x w; resized on the backend, read back asynchronously (WebGPU cannot read synchronously). */
export async function resizePixels(im: DecodedImage, channels: 1 | 3, h: number, w: number): Promise<Uint8Array> {
  const px = toChannels(im, channels);
  if (im.height === h && im.width === w) return px;
  const r = tf.tidy(() => {
    const t = tf.tensor3d(Float32Array.from(px), [im.height, im.width, channels], 'float32');
    return tf.image.resizeBilinear(t, [h, w], false, true).round().clipByValue(0, 255);
  });
  try {
    return Uint8Array.from(await r.data());
  } finally {
    r.dispose();
  }
}
