import { expect } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BenchResult } from '@clusterflow/bench';
import { checkResults } from '../../../scripts/check-results.js';
import { cli } from './support/cli.js';
import { blobsBenchDefaults, tempDir, writeBlobs } from './support/files.js';

const STAGED = (blobs: string) => `
name: staged
${blobsBenchDefaults(blobs, 1)}
runs:
  - name: two-stages
    stages:
      - { name: contrast, objective: [{ id: cc }] }
      - { name: refine, objective: [{ id: cc, options: { instanceTemperature: 0.3 } }], train: { epochs: 2 } }
`;

describe('clusterflow bench: a multi-stage run', () => {
  let out: string;
  let results: BenchResult;

  before(async () => {
    const dir = await tempDir();
    out = join(dir, 'out');
    await writeFile(join(dir, 'staged.yaml'), STAGED(await writeBlobs(dir)));
    const res = await cli('bench', join(dir, 'staged.yaml'), '--out', out);
    expect(res.code, res.out + res.err).to.equal(0);
    results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
  });

  it("records each stage's epochs and metrics, and the per-epoch records name their stage", () => {
    const [run] = results.runs;
    expect(run.stages!.map((s) => [s.name, s.epochs, s.epochsDone])).to.deep.equal([
      ['contrast', 1, 1],
      ['refine', 2, 2],
    ]);
    expect(run.perEpoch.map((e) => `${e.stage}:${e.epoch}`)).to.deep.equal(['contrast:0', 'refine:1', 'refine:2']);
    expect(run.metrics).to.deep.equal(run.stages![1].metrics);
    expect(run.objectives).to.deep.equal(['cc', 'cc']);
    // The run's epochs count across its stages, as epochsDone does (it once read 3/1).
    expect([run.epochsDone, run.epochs]).to.deep.equal([3, 3]);
  });

  it("writes every stage's assignments, from which scripts/check-results.ts recomputes each stage's metrics", async () => {
    const runDir = join(out, results.runs[0].dir);
    const files = await readdir(runDir);
    expect(files).to.include.members(['assignments.csv', 'assignments-contrast.csv']);
    expect(files, "the last stage's are assignments.csv").to.not.include('assignments-refine.csv');
    // Committed results are gzipped: do as a commit would.
    for (const f of files.filter((n) => n.startsWith('assignments'))) await writeFile(join(runDir, `${f}.gz`), gzipSync(await readFile(join(runDir, f))));
    const checks = await checkResults(out);
    expect([...new Set(checks.map((c) => c.run))]).to.include.members(['two-stages-seed0', 'two-stages-seed0 stage contrast']);
    expect(checks.filter((c) => !c.ok)).to.deep.equal([]);
  });
});
