import { CONVNET_BACKBONE, IMAGE_VIEWS } from './defaults.js';
import { DataError } from './errors.js';
import { HostDataset } from './host-dataset.js';
import { isGray, resizePixels, type DecodedImage } from './image-pixels.js';
import { inMemoryDataset } from './in-memory.js';
import type { DatasetFactory } from '@clusterflow/core';

/** An image a user gave a page, and where it sat: `cats/1.png` (a dropped folder, webkitRelativePath) or just its name. */
export interface ImageFileEntry {
  file: Blob;
  path: string;
}

export interface ImageFilesOptions {
  /** Registered id of the dataset (default 'image-files'). */
  id?: string;
  /** 'auto': 1 when every image is gray (R = G = B), else 3. */
  channels?: 'auto' | 1 | 3;
  /** [H, W]: resize every image (bilinear, half-pixel centres) instead of requiring one size. */
  resize?: [number, number];
}

/**
 * Images a user dropped on a page or picked, as one dataset, by image-folder's
 * rules: the same channel choice, resizing (on the active backend, rounded back to
 * uint8) and labels, which are the sorted names of the folders the files sit in
 * when there are at least two (torchvision's ImageFolder); otherwise none. The
 * browser decodes (createImageBitmap: PNG, JPEG, WebP, GIF...), colours untouched.
 * Nothing leaves the page.
 */
export async function datasetFromImageFiles(given: readonly ImageFileEntry[], options: ImageFilesOptions = {}): Promise<HostDataset> {
  const id = options.id ?? 'image-files';
  if (given.length === 0) throw new DataError(`${id}: no images given`);
  // image-folder's order: by folder, then by name, whatever order the browser listed them in.
  const entries = [...given].sort((a, b) => compare(folderOf(a.path), folderOf(b.path)) || compare(a.path, b.path));
  const images: DecodedImage[] = [];
  for (const e of entries) images.push(await decode(e));
  const channels = (options.channels ?? 'auto') === 'auto' ? (images.every(isGray) ? 1 : 3) : (options.channels as 1 | 3);
  const [h, w] = options.resize ?? [images[0].height, images[0].width];
  if (!options.resize) {
    const k = images.findIndex((im) => im.height !== h || im.width !== w);
    if (k >= 0) {
      throw new DataError(
        `${id}: images differ in size: '${entries[0].path}' is ${h}x${w} but '${entries[k].path}' is ` +
          `${images[k].height}x${images[k].width}; give resize: [H, W] to resize them`,
      );
    }
  }
  const sample = h * w * channels;
  const data = new Uint8Array(entries.length * sample);
  for (const [i, im] of images.entries()) data.set(await resizePixels(im, channels, h, w), i * sample);
  const folders = entries.map((e) => folderOf(e.path));
  const classNames = [...new Set(folders)].sort();
  const labelled = classNames.length >= 2;
  return new HostDataset({
    id,
    data,
    sampleShape: [h, w, channels],
    labels: labelled ? Int32Array.from(folders, (f) => classNames.indexOf(f)) : undefined,
    numClasses: labelled ? classNames.length : undefined,
    classNames: labelled ? classNames.map((f) => f.split('/').at(-1)!) : undefined,
    description:
      `${id}: ${entries.length} images ${h}x${w}x${channels}` +
      (labelled ? ` (${classNames.length} classes from their folders)` : ' (unlabelled)') +
      (options.resize ? `, resized to ${h}x${w}` : ''),
  });
}

const folderOf = (path: string) => path.split('/').slice(0, -1).join('/');
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The dataset of `datasetFromImageFiles` as a factory to register; image-folder's defaults (two views, the ConvNet). */
export function imageFilesDataset(dataset: HostDataset): DatasetFactory<Record<string, never>> {
  return inMemoryDataset(dataset, { augmentation: IMAGE_VIEWS, backbone: CONVNET_BACKBONE });
}

/** RGBA pixels as the file holds them: no colour-space conversion, alpha not premultiplied. */
async function decode(entry: ImageFileEntry): Promise<DecodedImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(entry.file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (err) {
    throw new DataError(`cannot decode '${entry.path}' as an image: ${(err as Error).message}`, { cause: err });
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const g = canvas.getContext('2d', { willReadFrequently: true });
    if (!g) throw new DataError(`cannot decode '${entry.path}': this browser gives no 2D canvas`);
    g.drawImage(bitmap, 0, 0);
    const { data } = g.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: bitmap.width, height: bitmap.height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } finally {
    bitmap.close();
  }
}
