import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry, RunSummary } from '@clusterflow/core';
import { confusionSpec, isImageDataset, lossSpec, metricsSpec, orderedConfusion } from '@clusterflow/report';
import { assignmentsCsv } from './assignments.js';
import { renderSvg } from './plots.js';
import type { RunResult } from './results.js';
import { loadRunDataset, sampleGridPng } from './sample-grid.js';

/**
 * Writes a finished run's files into `dir`: assignments.csv, loss.svg, metrics.svg,
 * confusion.svg (with labels) and samples.png (image datasets); a multi-stage run also
 * writes assignments-<stage>.csv for each earlier stage it trained and evaluated at its end,
 * so that every stage's metrics can be recomputed too. A file that cannot
 * be made is noted in the run's warnings: the training result stays valid.
 */
export async function writeRunArtifacts(
  dir: string,
  result: RunResult,
  summary: RunSummary | undefined,
  ctx: { registry: Registry; baseDir: string; stageClusters?: Record<string, Int32Array> },
): Promise<void> {
  const attempt = async (file: string, make: () => Promise<string | Buffer | undefined>) => {
    try {
      const content = await make();
      if (content === undefined) return;
      await writeFile(join(dir, file), content);
      result.files.push(file);
    } catch (err) {
      result.warnings.push(`${file} not written: ${(err as Error).message}`);
    }
  };
  if (result.stepLoss.length > 0) await attempt('loss.svg', () => renderSvg(lossSpec(result)));
  if (result.perEpoch.some((e) => Object.keys(e.metrics).length > 0)) await attempt('metrics.svg', () => renderSvg(metricsSpec(result)));
  const main = summary?.mainReadout;
  if (!summary || !main) return;
  const clusters = summary.readouts[main];
  await attempt('assignments.csv', async () => assignmentsCsv(clusters, summary.labels));
  if (summary.stages.length > 1) {
    // The last stage's are assignments.csv.
    const last = summary.stages.at(-1)!.name;
    for (const [stage, assigned] of Object.entries(ctx.stageClusters ?? {})) {
      if (stage !== last) await attempt(stageAssignmentsFile(stage), async () => assignmentsCsv(assigned, summary.labels));
    }
  }
  const labels = summary.labels;
  if (labels) {
    await attempt('confusion.svg', async () => {
      const cm = orderedConfusion(labels, clusters);
      return renderSvg(confusionSpec(`${result.name} (seed ${result.seed}): classes x clusters (${main})`, cm, cm.order));
    });
  }
  await attempt('samples.png', async () => {
    const ds = await loadRunDataset(result.config, ctx.registry, ctx.baseDir);
    if (!isImageDataset(ds)) return undefined;
    const k = result.clusterSizes[main]?.length ?? Math.max(...clusters) + 1;
    return sampleGridPng(ds, clusters, k);
  });
}

/** The file of a stage's assignments in its run's folder. */
export function stageAssignmentsFile(stage: string): string {
  return `assignments-${stage.replace(/[^\w.-]+/g, '_')}.csv`;
}
