import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a committed fixture (test/fixtures/, where its generator lives too). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** The first 64 Fashion-MNIST test images [64*784] and labels, read here without the package's parser. */
export function fmnist64(): { pixels: Uint8Array; labels: Uint8Array } {
  const img = gunzipSync(readFileSync(fixture('fmnist64-images-idx3-ubyte.gz')));
  const lab = gunzipSync(readFileSync(fixture('fmnist64-labels-idx1-ubyte.gz')));
  return { pixels: new Uint8Array(img.subarray(16)), labels: new Uint8Array(lab.subarray(8)) };
}
