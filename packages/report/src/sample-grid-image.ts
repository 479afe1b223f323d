import type { Dataset } from '@clusterflow/core';

export interface GridOptions {
  /** Samples shown per cluster (one row per cluster). */
  perCluster: number;
  /** Gap between cells, in pixels. */
  gap: number;
}

/** An RGBA picture, row-major: what a PNG encoder or a canvas's ImageData takes. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** True for [H, W, C] samples with 1 or 3 channels: the datasets a grid can show. */
export function isImageDataset(ds: Dataset): boolean {
  return ds.sampleShape.length === 3 && (ds.sampleShape[2] === 1 || ds.sampleShape[2] === 3);
}

/**
 * One row per cluster holding its first `perCluster` samples (in dataset order, so
 * the picture is the same for the same assignment), on white. Empty clusters
 * leave an empty row; small images are scaled up so that a 28-px digit stays
 * visible. The samples are read back asynchronously (any backend, WebGPU too).
 */
export async function sampleGridImage(
  ds: Dataset,
  clusters: ArrayLike<number>,
  numClusters: number,
  opts: GridOptions = { perCluster: 8, gap: 2 },
): Promise<RgbaImage> {
  const [h, w, c] = ds.sampleShape;
  const scale = Math.max(1, Math.floor(56 / Math.max(h, w)));
  const cellW = w * scale + opts.gap;
  const cellH = h * scale + opts.gap;
  const members: number[][] = Array.from({ length: numClusters }, () => []);
  for (let i = 0; i < clusters.length; i++) {
    const k = clusters[i];
    if (k >= 0 && k < numClusters && members[k].length < opts.perCluster) members[k].push(i);
  }
  const width = cellW * opts.perCluster + opts.gap;
  const height = cellH * numClusters + opts.gap;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  const chosen = members.flat();
  if (chosen.length === 0) return { width, height, rgba };
  const t = ds.batch(Int32Array.from(chosen));
  const pixels = (await t.data()) as Float32Array;
  t.dispose();
  const per = h * w * c;
  let n = 0;
  members.forEach((idx, row) =>
    idx.forEach((_, col) => {
      const base = n++ * per;
      for (let y = 0; y < h * scale; y++) {
        for (let x = 0; x < w * scale; x++) {
          const src = base + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
          const px = ((row * cellH + opts.gap + y) * width + col * cellW + opts.gap + x) * 4;
          for (let ch = 0; ch < 3; ch++) rgba[px + ch] = Math.round(255 * Math.min(1, Math.max(0, pixels[src + (c === 3 ? ch : 0)])));
          rgba[px + 3] = 255;
        }
      }
    }),
  );
  return { width, height, rgba };
}
