import { PNG } from 'pngjs';
import { type Dataset, type Registry, type RunConfig } from '@clusterflow/core';

export interface GridOptions {
  /** Samples shown per cluster (one row per cluster). */
  perCluster: number;
  /** Gap between cells, in pixels. */
  gap: number;
}

/** Rebuilds a run's dataset from its config, for pictures of what each cluster holds. */
export async function loadRunDataset(cfg: RunConfig, registry: Registry, baseDir: string): Promise<Dataset> {
  return registry.build('dataset', cfg.data, { baseDir });
}

/** True for [H, W, C] samples with 1 or 3 channels: the datasets a grid can show. */
export function isImageDataset(ds: Dataset): boolean {
  return ds.sampleShape.length === 3 && (ds.sampleShape[2] === 1 || ds.sampleShape[2] === 3);
}

/**
 * A PNG with one row per cluster holding its first `perCluster` samples (in dataset
 * order, so the picture is the same for the same assignment). Empty clusters leave
 * an empty row; small images are scaled up so that a 28-px digit stays visible.
 */
export async function sampleGridPng(ds: Dataset, clusters: ArrayLike<number>, numClusters: number, opts: GridOptions = { perCluster: 8, gap: 2 }): Promise<Buffer> {
  const [h, w, c] = ds.sampleShape;
  const scale = Math.max(1, Math.floor(56 / Math.max(h, w)));
  const cellW = w * scale + opts.gap;
  const cellH = h * scale + opts.gap;
  const members: number[][] = Array.from({ length: numClusters }, () => []);
  for (let i = 0; i < clusters.length; i++) {
    const k = clusters[i];
    if (k >= 0 && k < numClusters && members[k].length < opts.perCluster) members[k].push(i);
  }
  const png = new PNG({ width: cellW * opts.perCluster + opts.gap, height: cellH * numClusters + opts.gap });
  png.data.fill(255);
  const chosen = members.flat();
  if (chosen.length === 0) return PNG.sync.write(png);
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
          const px = ((row * cellH + opts.gap + y) * png.width + col * cellW + opts.gap + x) * 4;
          for (let ch = 0; ch < 3; ch++) png.data[px + ch] = Math.round(255 * Math.min(1, Math.max(0, pixels[src + (c === 3 ? ch : 0)])));
          png.data[px + 3] = 255;
        }
      }
    }),
  );
  return PNG.sync.write(png);
}
