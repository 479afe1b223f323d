// Gathers the finished runs of several bench folders into one results.json and
// results.md, for runs of one config trained by separate processes (two seeds
// side by side on one machine, or on several). Only `ok` runs are taken; the
// same run and seed twice is an error. Copy the run folders with keep-results.sh.
//   npx tsx scripts/merge-results.ts <into> <bench-out> [<bench-out> ...]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resultsMarkdown, type BenchResult, type MachineInfo } from '@clusterflow/bench';

const [into, ...outs] = process.argv.slice(2);
if (!into || outs.length === 0) throw new Error('usage: merge-results.ts <into> <bench-out> [<bench-out> ...]');
const benches: BenchResult[] = await Promise.all(outs.map(async (o) => JSON.parse(await readFile(join(o, 'results.json'), 'utf8'))));
// The merged bench keeps the first bench's machine; a run trained on another one says which.
const sameMachine = (a: MachineInfo, b: MachineInfo) => JSON.stringify(a) === JSON.stringify(b);
const runs = benches.flatMap((b) =>
  b.runs
    .filter((r) => r.status === 'ok')
    .map(({ machine, ...r }) => {
      const trainedOn = machine ?? b.machine;
      return sameMachine(trainedOn, benches[0].machine) ? r : { ...r, machine: trainedOn };
    }),
);
const seen = new Set<string>();
for (const r of runs) {
  const key = `${r.name}-seed${r.seed}`;
  if (seen.has(key)) throw new Error(`${key} is finished in more than one of ${outs.join(', ')}`);
  seen.add(key);
}
runs.sort((a, b) => a.name.localeCompare(b.name) || a.seed - b.seed);
// The earliest bench's name, date and machine: the runs share a config.
const merged: BenchResult = { ...benches[0], runs, ok: runs.length, failed: 0, interrupted: 0 };
await writeFile(join(into, 'results.json'), JSON.stringify(merged, null, 2) + '\n');
await writeFile(join(into, 'results.md'), resultsMarkdown(merged));
console.log(`${into}: ${runs.length} runs from ${outs.length} bench folders`);
