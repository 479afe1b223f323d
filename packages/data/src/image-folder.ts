import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { DatasetFactory } from '@clusterflow/core';
import { decodeImage, IMAGE_EXTENSIONS, isGray, resizePixels } from './decode-image.js';
import { CONVNET_BACKBONE, IMAGE_VIEWS } from './defaults.js';
import { DataError } from './errors.js';
import { HostDataset } from './host-dataset.js';

export const imageFolderOptions = z
  .object({
    path: z.string().describe('folder of PNG/JPEG files, or of class sub-folders holding them'),
    channels: z
      .union([z.literal('auto'), z.literal(1), z.literal(3)])
      .default('auto')
      .describe("'auto': 1 when every image is gray (R = G = B), else 3"),
    resize: z
      .tuple([z.number().int().positive(), z.number().int().positive()])
      .optional()
      .describe('[H, W]: resize every image (bilinear, half-pixel centres) instead of requiring one size'),
  })
  .strict();

export type ImageFolderOptions = z.infer<typeof imageFolderOptions>;

interface Entry {
  file: string;
  label?: number;
}

/**
 * Loads a folder of images. With class sub-folders, labels are the indices of the
 * sorted sub-folder names (as torchvision's ImageFolder); with none, the dataset is
 * unlabelled. Images must share one size unless `resize` is given; resizing is done
 * once at load time with tf.image.resizeBilinear (half-pixel centres) and rounded
 * back to uint8, so batches stay as cheap as for any other image dataset.
 */
export async function loadImageFolder(root: string, options: Omit<ImageFolderOptions, 'path'> = { channels: 'auto' }): Promise<HostDataset> {
  const { entries, classNames } = listImages(root);
  if (entries.length === 0) throw new DataError(`'${root}' holds no ${IMAGE_EXTENSIONS.join('/')} images`);
  const images = entries.map((e) => decodeImage(readFileSync(e.file), e.file));
  const channels = options.channels === 'auto' ? (images.every(isGray) ? 1 : 3) : options.channels;
  let h: number, w: number;
  if (options.resize) {
    [h, w] = options.resize;
  } else {
    [h, w] = [images[0].height, images[0].width];
    const k = images.findIndex((im) => im.height !== h || im.width !== w);
    if (k >= 0) {
      throw new DataError(
        `images in '${root}' differ in size: '${entries[0].file}' is ${h}x${w} but '${entries[k].file}' is ` +
          `${images[k].height}x${images[k].width}; pass resize: [H, W] to resize them`,
      );
    }
  }
  const sample = h * w * channels;
  const data = new Uint8Array(entries.length * sample);
  for (const [i, im] of images.entries()) data.set(await resizePixels(im, channels, h, w), i * sample);
  const labelled = classNames.length > 0;
  return new HostDataset({
    id: 'image-folder',
    data,
    sampleShape: [h, w, channels],
    labels: labelled ? Int32Array.from(entries, (e) => e.label!) : undefined,
    numClasses: labelled ? classNames.length : undefined,
    classNames: labelled ? classNames : undefined,
    description:
      `image-folder: ${entries.length} images ${h}x${w}x${channels} from ${root}` +
      (labelled ? ` (${classNames.length} classes from sub-folders)` : ' (unlabelled)') +
      (options.resize ? `, resized to ${h}x${w}` : ''),
  });
}

function listImages(root: string): { entries: Entry[]; classNames: string[] } {
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch (err) {
    throw new DataError(`cannot read image folder '${root}': ${(err as Error).message}`, { cause: err });
  }
  const isImage = (n: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase());
  const dirs = names.filter((n) => statSync(join(root, n)).isDirectory());
  const files = names.filter((n) => !dirs.includes(n) && isImage(n));
  if (dirs.length === 0) return { entries: files.map((n) => ({ file: join(root, n) })), classNames: [] };
  if (files.length > 0) {
    throw new DataError(`'${root}' mixes class sub-folders with loose images ('${files[0]}'); put every image in a class folder`);
  }
  const entries: Entry[] = [];
  dirs.forEach((d, label) => {
    for (const n of readdirSync(join(root, d)).sort()) {
      if (isImage(n)) entries.push({ file: join(root, d, n), label });
    }
  });
  return { entries, classNames: dirs };
}

export const imageFolderDataset: DatasetFactory<ImageFolderOptions> = {
  id: 'image-folder',
  description: 'A folder of PNG/JPEG images; labels from sorted class sub-folder names when present',
  options: imageFolderOptions,
  defaults: { augmentation: IMAGE_VIEWS, backbone: CONVNET_BACKBONE },
  async create({ path, ...rest }, ctx) {
    return loadImageFolder(resolve(ctx.baseDir, path), rest);
  },
};
