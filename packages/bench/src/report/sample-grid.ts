import { PNG } from 'pngjs';
import { type Dataset, type Registry, type RunConfig } from '@clusterflow/core';
import { sampleGridImage, type GridOptions } from '@clusterflow/report';

/** Rebuilds a run's dataset from its config, for pictures of what each cluster holds. */
export async function loadRunDataset(cfg: RunConfig, registry: Registry, baseDir: string): Promise<Dataset> {
  return registry.build('dataset', cfg.data, { baseDir });
}

/** `sampleGridImage` as a PNG (samples.png of a run). */
export async function sampleGridPng(ds: Dataset, clusters: ArrayLike<number>, numClusters: number, opts?: GridOptions): Promise<Buffer> {
  const image = await sampleGridImage(ds, clusters, numClusters, opts);
  const png = new PNG({ width: image.width, height: image.height });
  png.data.set(image.rgba);
  return PNG.sync.write(png);
}
