/**
 * Recomputes every committed result from its assignments and compares it with the
 * metrics its results.json states:
 *
 *   tsx scripts/check-results.ts [results]      # exit 1 and a line per mismatch
 *
 * Every results.json under the folder (a bench's or one run's) lists runs; each run's
 * assignments.csv.gz (index,label,cluster) lies in the run's `dir` beside it, or beside
 * the file itself; a multi-stage run's stages are checked against the
 * assignments-<stage>.csv.gz beside it (the last stage's are assignments.csv.gz). ACC, NMI and ARI come from @clusterflow/eval, which is tested against
 * scikit-learn; scripts/check_results.py does the same with scikit-learn itself.
 * A run that chose among candidate seeds (`selection`) is checked too: each candidate's
 * stated loss against its own results.json (`<dir>/candidates/seed<k>/`), and the
 * chosen seed against the lowest of them.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ari, clusterAccuracy, nmi } from '@clusterflow/eval';

/** One run's stated metric beside the recomputed one. */
export interface Check {
  file: string;
  run: string;
  metric: string;
  stated: number;
  recomputed: number;
  ok: boolean;
}

const METRICS = { acc: clusterAccuracy, nmi, ari } as const;
/** The README prints 4 decimals; results.json keeps ACC to 4 decimals and NMI/ARI in full. */
const TOLERANCE = 1e-4;

interface StatedRun {
  name: string;
  seed: number;
  status: string;
  dir?: string;
  metrics: Record<string, number>;
  stages?: { name: string; metrics: Record<string, number> }[];
  selection?: { loss: string; epochs: number; chosen: number; candidates: { seed: number; dir: string; loss?: number }[] };
}

/** What one results.json says of a run (and of each of its stages), and the assignments that back it. */
interface Claim {
  run: string;
  metrics: Record<string, number>;
  assignments: string[];
}

function claims(file: string, run: StatedRun): Claim[] {
  const id = `${run.name}-seed${run.seed}`;
  const runDir = join(dirname(file), run.dir ?? id);
  const out: Claim[] = [{ run: id, metrics: run.metrics, assignments: [join(runDir, 'assignments.csv.gz'), join(dirname(file), 'assignments.csv.gz')] }];
  const stages = run.stages ?? [];
  for (const stage of stages.slice(0, -1)) {
    if (Object.keys(stage.metrics).length === 0) continue;
    const name = `assignments-${stage.name.replace(/[^\w.-]+/g, '_')}.csv.gz`;
    out.push({ run: `${id} stage ${stage.name}`, metrics: stage.metrics, assignments: [join(runDir, name), join(dirname(file), name)] });
  }
  return out;
}

/** A run's choice among candidate seeds, recomputed from the candidates' own records. */
async function selectionChecks(root: string, file: string, run: StatedRun): Promise<Check[]> {
  const s = run.selection;
  if (!s) return [];
  const id = `${run.name}-seed${run.seed}`;
  const check = (metric: string, stated: number, recomputed: number): Check => ({
    file: relative(root, file),
    run: id,
    metric,
    stated,
    recomputed,
    ok: stated === recomputed,
  });
  const out: Check[] = [];
  const losses: [number, number][] = [];
  const runDir = run.dir ?? id;
  for (const c of s.candidates) {
    // `dir` is relative to the bench's folder; a run's own results.json lies in the run's.
    const inRun = c.dir.startsWith(`${runDir}/`) ? c.dir.slice(runDir.length + 1) : c.dir;
    const places = [join(dirname(file), c.dir, 'results.json'), join(dirname(file), inRun, 'results.json')];
    const own = places.find((p) => existsSync(p));
    if (!own) throw new Error(`${relative(root, file)}: run ${id}'s candidate seed ${c.seed} has no results.json (looked for ${relative(root, places[0])})`);
    const [record] = (JSON.parse(await readFile(own, 'utf8')) as { runs: { perEpoch: { epoch: number; loss: Record<string, number> }[] }[] }).runs;
    const loss = record.perEpoch.find((e) => e.epoch === s.epochs - 1)?.loss[s.loss];
    if (loss === undefined) continue; // a candidate that failed has no loss to compare
    out.push(check(`candidate ${c.seed} ${s.loss} loss`, c.loss ?? NaN, loss));
    losses.push([c.seed, loss]);
  }
  // The lowest loss; a tie goes to the earlier candidate, as the bench chose.
  const lowest = losses.reduce((a, b) => (b[1] < a[1] ? b : a), [NaN, Infinity]);
  out.push(check('chosen seed', s.chosen, lowest[0]));
  return out;
}

async function* resultFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* resultFiles(path);
    else if (entry.name === 'results.json') yield path;
  }
}

/** Reads assignments.csv.gz into its label and cluster columns; a malformed line is an error naming the file and line. */
export async function readAssignments(path: string): Promise<{ labels: Int32Array; clusters: Int32Array }> {
  const lines = gunzipSync(await readFile(path))
    .toString('utf8')
    .trim()
    .split('\n');
  if (lines[0] !== 'index,label,cluster') throw new Error(`${path}: expected the header index,label,cluster, found ${lines[0]}`);
  const labels = new Int32Array(lines.length - 1);
  const clusters = new Int32Array(lines.length - 1);
  for (let i = 1; i < lines.length; i++) {
    const [index, label, cluster] = lines[i].split(',').map(Number);
    if (index !== i - 1 || !Number.isInteger(label) || !Number.isInteger(cluster))
      throw new Error(`${path}:${i + 1}: expected ${i - 1},<label>,<cluster>, found ${lines[i]}`);
    labels[i - 1] = label;
    clusters[i - 1] = cluster;
  }
  return { labels, clusters };
}

/** Every stated metric of every finished run under `root`, recomputed. A run without its assignments is an error. */
export async function checkResults(root: string): Promise<Check[]> {
  const checks: Check[] = [];
  for await (const file of resultFiles(root)) {
    const { runs } = JSON.parse(await readFile(file, 'utf8')) as { runs?: StatedRun[] };
    for (const run of (runs ?? []).filter((r) => r.status === 'ok')) checks.push(...(await selectionChecks(root, file, run)));
    for (const claim of (runs ?? []).filter((r) => r.status === 'ok').flatMap((r) => claims(file, r))) {
      const csv = claim.assignments.find((p) => existsSync(p));
      if (!csv)
        throw new Error(
          `${relative(root, file)}: run ${claim.run} has no assignments (looked for ${claim.assignments.map((p) => relative(root, p)).join(', ')})`,
        );
      const { labels, clusters } = await readAssignments(csv);
      for (const [metric, f] of Object.entries(METRICS)) {
        const stated = claim.metrics[metric];
        if (stated === undefined) continue;
        const recomputed = f(labels, clusters);
        checks.push({ file: relative(root, file), run: claim.run, metric, stated, recomputed, ok: Math.abs(stated - recomputed) <= TOLERANCE });
      }
    }
  }
  return checks;
}

async function main(): Promise<void> {
  const root = resolve(process.argv[2] ?? fileURLToPath(new URL('../results', import.meta.url)));
  const checks = await checkResults(root);
  for (const c of checks)
    console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.file} ${c.run} ${c.metric}: stated ${c.stated.toFixed(4)}, recomputed ${c.recomputed.toFixed(4)}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(`${checks.length} metrics checked, ${failed} wrong`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
