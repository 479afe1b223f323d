import type { BenchResult, MachineInfo, RunResult, Selection } from './results.js';
import { formatMeanStd } from './stats.js';

/** Every table's metric columns, by metric id. */
const METRICS: Record<string, string> = { acc: 'ACC', nmi: 'NMI', ari: 'ARI' };
/** Metrics that get a column only when some run reports them (an `eval:` option asks for them). */
const OPTIONAL: Record<string, string> = { featureKnnPurity: 'kNN purity' };
const HEADS: Record<string, string> = { ...METRICS, ...OPTIONAL };
/** The header cells of these metrics, and the table's rule line for n columns in all. */
const heads = (ids: readonly string[]) => ids.map((k) => HEADS[k]).join(' | ');
const rule = (n: number) => `|${'---|'.repeat(n)}`;
/** Markdown table cells must not break the row. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
/** A machine on one line: CPU, cores, OS, versions and BLAS. */
const machineText = (m: MachineInfo) => `${m.cpu}, ${m.cores} cores; ${m.os}; node ${m.node}; tfjs ${m.tfjs}${m.blas ? `; ${m.blas}` : ''}`;

/**
 * results.md: machine and date up front, then one row per run name with the mean ±
 * standard deviation over its seeds (ok seeds only), one row per run and seed, and
 * the failures with their errors.
 */
export function resultsMarkdown(bench: BenchResult): string {
  const extra = Object.keys(OPTIONAL).filter((k) => bench.runs.some((r) => r.metrics[k] !== undefined));
  const metrics = [...Object.keys(METRICS), ...extra];
  const backends = [...new Set(bench.runs.map((r) => r.backend))].join(', ');
  const out: string[] = [
    `# clusterflow bench: ${bench.name}`,
    '',
    `- date: ${bench.date}`,
    `- machine: ${machineText(bench.machine)}`,
    ...workersLine(bench.runs),
    ...otherMachinesLine(bench.runs),
    `- backend: ${backends}`,
    `- runs: ${bench.runs.length} (${bench.ok} ok, ${bench.failed} failed)`,
    '',
    '## Summary (mean ± standard deviation over seeds)',
    '',
    `| run | objective | backbone | dataset | backend | seeds ok | ${heads(metrics)} | images/s | wall s |`,
    rule(8 + metrics.length),
  ];
  const groups = new Map<string, RunResult[]>();
  for (const r of bench.runs) groups.set(r.name, [...(groups.get(r.name) ?? []), r]);
  for (const [name, runs] of groups) {
    const ok = runs.filter((r) => r.status === 'ok');
    const first = runs[0];
    const of = (f: (r: RunResult) => number | undefined) => ok.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
    out.push(
      `| ${cell(name)} | ${cell(first.objectives.join(' -> '))} | ${first.backbone} | ${first.dataset} | ${[...new Set(runs.map((r) => r.backend))].join(', ')} | ${ok.length}/${runs.length} | ` +
        metrics.map((k) => formatMeanStd(of((r) => r.metrics[k]))).join(' | ') +
        ` | ${formatMeanStd(
          of((r) => r.imagesPerSec),
          0,
        )} | ${formatMeanStd(
          of((r) => r.wallSeconds),
          1,
        )} |`,
    );
  }
  out.push('', '## Runs', '', `| run | seed | status | epochs | ${heads(metrics)} | cluster sizes | images/s | wall s |`, rule(7 + metrics.length));
  for (const r of bench.runs) out.push(runRow(r, metrics));
  const staged = bench.runs.filter((r) => r.stages);
  if (staged.length) {
    // Each stage's own final metrics: what every stage of a pipeline adds.
    const stageMetrics = Object.keys(METRICS);
    out.push('', '## Stages', '', `| run | seed | stage | epochs | ${heads(stageMetrics)} |`, rule(4 + stageMetrics.length));
    const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(3));
    for (const r of staged) {
      for (const st of r.stages!) {
        out.push(
          `| ${cell(r.name)} | ${r.seed} | ${cell(st.name)} | ${st.epochsDone}/${st.epochs} | ${stageMetrics.map((k) => num(st.metrics[k])).join(' | ')} |`,
        );
      }
    }
  }
  const chose = bench.runs.filter((r) => r.selection);
  if (chose.length) {
    out.push('', '## Candidate seeds', '');
    for (const r of chose) out.push(`- ${cell(r.name)} (seed ${r.seed}): ${selectionText(r.selection!)}`);
  }
  const failed = bench.runs.filter((r) => r.status === 'failed');
  if (failed.length) {
    out.push('', '## Failures', '');
    for (const r of failed) out.push(`- **${cell(r.name)}** (seed ${r.seed}): ${cell(r.error ?? 'unknown error')}`);
  }
  const warned = bench.runs.filter((r) => r.warnings.length);
  if (warned.length) {
    out.push('', '## Warnings', '');
    for (const r of warned) for (const w of r.warnings) out.push(`- ${cell(r.name)} (seed ${r.seed}): ${cell(w)}`);
  }
  return out.join('\n') + '\n';
}

/** 'went on with seed 1006 of 6 (2.1077), 1006 (2.0980), 2006 (...): the lowest cluster loss at epoch 5'. */
function selectionText(s: Selection): string {
  const tried = s.candidates.map((c) => `${c.seed} (${c.loss?.toFixed(4) ?? `failed: ${cell(c.error ?? '')}`})`).join(', ');
  return `went on with seed ${s.chosen} of ${tried}: the lowest ${cell(s.loss)} loss at epoch ${s.epochs}`;
}

/** A queued bench: the machines its runs trained on (the machine above is the one that gathered them). */
function workersLine(runs: readonly RunResult[]): string[] {
  const workers = new Map(runs.flatMap((r) => (r.worker ? [[r.worker.id, r.worker] as const] : [])));
  if (workers.size === 0) return [];
  return [`- workers: ${[...workers.values()].map((w) => `${w.id} (${w.machine.cpu}, ${w.machine.cores} cores)`).join('; ')}`];
}

/** Runs gathered from benches on other machines: which ones, and where they trained. */
function otherMachinesLine(runs: readonly RunResult[]): string[] {
  const where = runs.flatMap((r) => (r.machine ? [`${cell(r.name)} seed ${r.seed}: ${machineText(r.machine)}`] : []));
  return where.length === 0 ? [] : [`- trained on another machine: ${where.join('; ')}`];
}

function runRow(r: RunResult, metrics: readonly string[]): string {
  const num = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
  const sizes = r.mainReadout ? r.clusterSizes[r.mainReadout] : undefined;
  return (
    `| ${cell(r.name)} | ${r.seed} | ${r.status} | ${r.epochsDone}/${r.epochs} | ` +
    metrics.map((k) => num(r.metrics[k])).join(' | ') +
    ` | ${sizes ? sizes.join(' ') : '-'} | ${num(r.imagesPerSec, 0)} | ${num(r.wallSeconds, 1)} |`
  );
}
