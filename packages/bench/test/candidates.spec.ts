import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBenchConfig, planRuns, runBench, type BenchResult, type RunResult } from '@clusterflow/bench';
import { checkResults } from '../../../scripts/check-results.js';
import { capture, cli } from './support/cli.js';
import { blobsBenchDefaults, tempDir, writeBlobs } from './support/files.js';

const BENCH = (blobs: string, candidates: string) => `
name: pick
${blobsBenchDefaults(blobs, 4)}
runs:
  - name: picked
    objective: [{ id: cc, options: { projectionDim: 8 } }]
    ${candidates}
`;
const PICK = 'candidates: { count: 3, epochs: 2, loss: cluster }';

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;
/** The loss terms a candidate recorded at each epoch, from its own results.json. */
const candidateRecord = async (out: string, dir: string) => (await readJson<BenchResult>(join(out, dir, 'results.json'))).runs[0];

describe('clusterflow bench: a run that chooses among candidate seeds (candidates:)', function () {
  this.timeout(120_000);
  let dir: string;
  let config: string;
  let out: string;
  let run: RunResult;

  before(async () => {
    dir = await tempDir();
    const blobs = await writeBlobs(dir);
    config = join(dir, 'pick.yaml');
    await writeFile(config, BENCH(blobs, PICK));
    await writeFile(join(dir, 'plain.yaml'), BENCH(blobs, ''));
    out = join(dir, 'out');
    const res = await cli('bench', config, '--out', out);
    expect(res.code, res.out + res.err).to.equal(0);
    run = (await readJson<BenchResult>(join(out, 'results.json'))).runs[0];
  });

  it('trains seeds s, s+1000, s+2000 for 2 epochs each and goes on with the lowest cluster loss at epoch 2', async () => {
    const s = run.selection!;
    expect(s.candidates.map((c) => c.seed)).to.deep.equal([0, 1000, 2000]);
    for (const c of s.candidates) {
      const record = await candidateRecord(out, c.dir);
      // Each candidate stopped after its 2 epochs, with a checkpoint to go on from.
      expect([record.status, record.epochsDone, record.config.seed], c.dir).to.deep.equal(['interrupted', 2, c.seed]);
      expect(c.loss, c.dir).to.equal(record.perEpoch.find((e) => e.epoch === 1)!.loss.cluster);
    }
    const losses = s.candidates.map((c) => c.loss!);
    expect(new Set(losses).size, 'the seeds differ').to.equal(3);
    expect(s.chosen).to.equal(s.candidates[losses.indexOf(Math.min(...losses))].seed);
    // The run keeps its own seed (its name); the chosen one is what trained.
    expect([run.seed, run.config.seed, run.dir]).to.deep.equal([0, s.chosen, 'picked-seed0']);
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).to.include(`went on with seed ${s.chosen} of 0 (`);
  });

  it("keeps the chosen candidate's first epochs in the run's history, and every candidate's time", async () => {
    expect(run.perEpoch.map((e) => e.epoch)).to.deep.equal([0, 1, 2, 3]);
    const chosen = await candidateRecord(out, run.selection!.candidates.find((c) => c.seed === run.selection!.chosen)!.dir);
    expect(run.perEpoch.slice(0, 2).map((e) => e.loss)).to.deep.equal(chosen.perEpoch.map((e) => e.loss));
    const candidates = run.selection!.candidates.reduce((t, c) => t + c.wallSeconds, 0);
    expect(run.wallSeconds).to.be.greaterThan(candidates);
  });

  it("ends exactly as the chosen seed's plain run does", async () => {
    const plainOut = join(dir, 'plain');
    const res = await cli('bench', join(dir, 'plain.yaml'), '--seeds', String(run.selection!.chosen), '--out', plainOut);
    expect(res.code, res.out + res.err).to.equal(0);
    const plain = (await readJson<BenchResult>(join(plainOut, 'results.json'))).runs[0];
    expect(run.metrics).to.deep.equal(plain.metrics);
    expect(run.perEpoch.map((e) => e.loss)).to.deep.equal(plain.perEpoch.map((e) => e.loss));
  });

  it("scripts/check-results.ts recomputes the choice from the candidates' own records, and finds a changed one", async () => {
    const kept = join(dir, 'kept');
    execFileSync('sh', [fileURLToPath(new URL('../../../scripts/keep-results.sh', import.meta.url)), out, kept]);
    const checks = await checkResults(kept);
    const choice = checks.filter((c) => c.metric.startsWith('candidate') || c.metric === 'chosen seed');
    // Both results.json files (the bench's and the run's) state the choice: 3 losses and the seed each.
    expect(choice.map((c) => c.ok)).to.deep.equal(Array(8).fill(true));
    expect(checks.filter((c) => !c.ok)).to.deep.equal([]);
    const file = join(kept, 'results.json');
    const bench = await readJson<BenchResult>(file);
    const other = bench.runs[0].selection!.candidates.find((c) => c.seed !== run.selection!.chosen)!.seed;
    bench.runs[0].selection!.chosen = other;
    await writeFile(file, JSON.stringify(bench));
    const wrong = (await checkResults(kept)).filter((c) => !c.ok);
    expect(wrong.map((c) => [c.file, c.metric, c.stated, c.recomputed])).to.deep.equal([['results.json', 'chosen seed', other, run.selection!.chosen]]);
  });

  it('refuses to start again over its candidates without --resume or --force', async () => {
    const res = await cli('bench', config, '--out', out);
    expect(res.code).to.equal(2);
    expect(res.err).to.match(/already holds the finished run picked-seed0/);
    const half = join(dir, 'half');
    const stop = new AbortController();
    await bench(half, stop, (text) => text.includes('candidate seed 1000]'));
    const again = await cli('bench', config, '--out', half);
    expect(again.code).to.equal(2);
    expect(again.err).to.match(/holds the unfinished run picked-seed0, which trained candidates: --resume continues it/);
  });

  it('stopped (Ctrl-C) inside the second candidate, --resume keeps the first, finishes the rest and ends the same', async () => {
    const half = join(dir, 'resumed');
    const first = await bench(half, new AbortController(), (text) => /candidate seed 1000\] .*step 4\//.test(text));
    expect(first.runs[0].status).to.equal('interrupted');
    const done = await bench(half, new AbortController(), () => false, true);
    expect(done.runs[0].status).to.equal('ok');
    const picked = (r: RunResult) => [r.selection!.chosen, r.selection!.candidates.map((c) => [c.seed, c.loss])];
    expect(picked(done.runs[0])).to.deep.equal(picked(run));
    expect(done.runs[0].metrics).to.deep.equal(run.metrics);
    // Seed 0 was not trained again: its event log has one part; seed 1000's has two.
    const parts = async (seed: number) =>
      (await readFile(join(half, 'picked-seed0', 'candidates', `seed${seed}`, 'events.jsonl'), 'utf8')).split('\n').filter((l) => l.includes('"run-start"'))
        .length;
    expect([await parts(0), await parts(1000), await parts(2000)]).to.deep.equal([1, 2, 1]);
  });

  it('--force trains the candidates again from the start, to the same choice and end', async () => {
    const forced = join(dir, 'forced');
    await bench(forced, new AbortController(), (text) => text.includes('candidate seed 2000]'));
    const res = await cli('bench', config, '--out', forced, '--force');
    expect(res.code, res.out + res.err).to.equal(0);
    const again = (await readJson<BenchResult>(join(forced, 'results.json'))).runs[0];
    expect([again.selection!.chosen, again.metrics]).to.deep.equal([run.selection!.chosen, run.metrics]);
    const seed0 = await readFile(join(forced, 'picked-seed0', 'candidates', 'seed0', 'events.jsonl'), 'utf8');
    expect(seed0.split('\n').filter((l) => l.includes('"run-start"'))).to.have.length(1);
  });

  it('names the loss terms a run records when candidates.loss is none of them', async () => {
    const odd = join(dir, 'odd.yaml');
    await writeFile(odd, BENCH(await writeBlobs(dir), 'candidates: { count: 2, epochs: 1, loss: clusters }'));
    const res = await cli('bench', odd, '--out', join(dir, 'odd'));
    expect(res.code).to.equal(2);
    expect(res.err).to.match(/candidates\.loss: run picked-seed0 records no loss term 'clusters'; its terms are total, .*cluster/);
  });

  it('refuses a candidates.epochs that is not inside the first stage, runs on a queue, and a run config (train)', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, BENCH(await writeBlobs(dir), 'candidates: { count: 3, epochs: 4 }'));
    const res = await cli('bench', bad, '--out', join(dir, 'bad'));
    expect(res.code).to.equal(2);
    expect(res.err).to.match(/candidates\.epochs: .*must be fewer \(got 4\)/);
    const queued = await cli('bench', config, '--queue', 'redis://127.0.0.1:9', '--out', join(dir, 'queued'));
    expect(queued.code).to.equal(2);
    expect(queued.err).to.match(/--queue: run picked-seed0 chooses among candidate seeds/);
    const single = join(dir, 'single.json');
    const plan = await loadBenchConfig(config);
    await writeFile(single, JSON.stringify({ ...plan.runs[0], candidates: plan.candidates!.picked }));
    const trained = await cli('train', single, '--out', join(dir, 'single'));
    expect(trained.code).to.equal(2);
    expect(trained.err).to.match(/candidates: is a bench config's \(clusterflow bench, under runs:\), not a run config's/);
  });

  /** Runs the bench in-process; `when(text)` on its output stops it as Ctrl-C would. */
  async function bench(into: string, stop: AbortController, when: (text: string) => boolean, resume = false): Promise<BenchResult> {
    const stream = capture();
    const watched = Object.assign(stream, {
      write: ((w) => (text: string) => {
        if (when(text)) stop.abort('test');
        return w(text);
      })(stream.write.bind(stream)),
    });
    const plan = await loadBenchConfig(config);
    return runBench(plan.name, await planRuns(plan, {}), { out: into, stream: watched, logEvery: 1, stop: stop.signal, resume });
  }
});
