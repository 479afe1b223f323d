import { join } from 'node:path';
import { benchMetricsSpec } from '@clusterflow/report';
import { writeFileAtomic } from '../util/atomic-write.js';
import { renderSvg } from './plots.js';
import { resultsMarkdown } from './report-md.js';
import type { BenchResult } from './results.js';

/** `results.json` and `results.md` of a bench (or of one run) in `dir`. */
export async function writeResults(dir: string, bench: BenchResult): Promise<void> {
  await writeFileAtomic(join(dir, 'results.json'), JSON.stringify(bench, null, 2) + '\n');
  await writeFileAtomic(join(dir, 'results.md'), resultsMarkdown(bench));
}

/** The bench's `metrics.svg` (every ok run's final metrics); a plot that fails is reported, not fatal. */
export async function writeBenchPlot(dir: string, bench: BenchResult, stream: NodeJS.WritableStream): Promise<void> {
  if (bench.ok === 0) return;
  try {
    await writeFileAtomic(join(dir, 'metrics.svg'), await renderSvg(benchMetricsSpec(bench.runs)));
  } catch (err) {
    stream.write(`metrics.svg not written: ${(err as Error).message}\n`);
  }
}
