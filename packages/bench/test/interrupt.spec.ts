import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '@clusterflow/bench';
import { resumeCommand } from '../src/cli/bench.js';
import { cli } from './support/cli.js';
import { blobsParts, ccObjective, tempDir, writeBlobs } from './support/files.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Starts the CLI from source in a child process (as `npx clusterflow` would run it). */
function start(args: string[]) {
  const child = spawn(process.execPath, ['--conditions=source', '--import=tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (pattern.test(out)) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error(`exited before ${pattern}: ${out}\n${err}`));
      });
    });
  return { child, exited, waitFor, output: () => ({ out, err }) };
}

describe('Ctrl-C in clusterflow train', function () {
  this.timeout(120_000);
  let dir: string;
  let config: string;

  before(async () => {
    dir = await tempDir();
    await writeBlobs(dir);
    config = join(dir, 'run.yaml');
    const run = {
      name: 'blobs',
      ...blobsParts,
      objective: ccObjective,
      train: { epochs: 30, batchSize: 16 },
      eval: { every: 10 },
    };
    await writeFile(config, JSON.stringify(run));
  });

  it('stops at a step boundary, writes a checkpoint and partial results marked interrupted, says how to resume, exits 130; --resume finishes the run', async () => {
    const out = join(dir, 'out');
    const p = start(['train', config, '--out', out, '--log-every', '1']);
    await p.waitFor(/step 8\/180/);
    p.child.kill('SIGINT');
    const code = await p.exited;
    const { err } = p.output();
    expect(code, err).to.equal(130);
    expect(err).to.include('stopping at the next step boundary');
    expect(err).to.match(/resume with: clusterflow train .*run\.yaml --resume .*blobs-seed0/);

    const partial: BenchResult = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    const run = partial.runs[0];
    expect(run.status).to.equal('interrupted');
    expect(partial.interrupted).to.equal(1);
    expect(run.resumeFrom).to.equal(join(out, 'blobs-seed0', 'checkpoints', 'last.ckpt'));
    expect(existsSync(run.resumeFrom!)).to.equal(true);
    expect(await readFile(join(out, 'results.md'), 'utf8')).to.match(/\| blobs \| 0 \| interrupted \|/);
    const stepsBefore = run.stepLoss.length;
    expect(stepsBefore).to.be.within(8, 179);

    const resumed = await cli('train', config, '--resume', join(out, 'blobs-seed0'));
    expect(resumed.code, resumed.err).to.equal(0);
    const done: BenchResult = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    const finished = done.runs[0];
    expect(finished.status).to.equal('ok');
    expect(finished.epochsDone).to.equal(30);
    // The record goes on from where the interrupted part stopped: every step once.
    expect(finished.stepLoss.map((s) => s.step)).to.deep.equal(Array.from({ length: 180 }, (_, i) => i));
    expect(finished.perEpoch.map((e) => e.epoch)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
    expect(finished.metrics.acc).to.be.within(0, 1);
  });

  it('a second Ctrl-C exits at once', async () => {
    const p = start(['train', config, '--out', join(dir, 'out2'), '--log-every', '1']);
    await p.waitFor(/step 2\/180/);
    p.child.kill('SIGINT');
    p.child.kill('SIGINT');
    expect(await p.exited).to.equal(130);
  });

  it('SIGTERM (a batch scheduler, a container runtime) stops like Ctrl-C: a checkpoint, the run marked interrupted, exit 143 (issue 26, item 9)', async () => {
    const out = join(dir, 'out-term');
    const p = start(['train', config, '--out', out, '--log-every', '1']);
    await p.waitFor(/step 8\/180/);
    p.child.kill('SIGTERM');
    const code = await p.exited;
    const { err } = p.output();
    expect(code, err).to.equal(143);
    expect(err).to.include('SIGTERM');
    expect(err).to.include('stopping at the next step boundary');
    const partial: BenchResult = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(partial.runs[0].status).to.equal('interrupted');
    expect(existsSync(join(out, 'blobs-seed0', 'checkpoints', 'last.ckpt'))).to.equal(true);
  });

  it('train checkpoints every epoch into the run folder by default (issue 26, item 9)', async () => {
    const out = join(dir, 'out-epochs');
    const short = join(dir, 'short.json');
    await writeFile(short, JSON.stringify({ ...JSON.parse(await readFile(config, 'utf8')), train: { epochs: 3, batchSize: 16 } }));
    const res = await cli('train', short, '--out', out);
    expect(res.code, res.err).to.equal(0);
    const ckpts = join(out, 'blobs-seed0', 'checkpoints');
    for (const f of ['epoch-0001.ckpt', 'epoch-0002.ckpt', 'last.ckpt']) expect(existsSync(join(ckpts, f)), f).to.equal(true);
  });
});

describe('a bench run killed without warning (SIGKILL, the end of a session)', function () {
  this.timeout(180_000);

  it('is refused without --resume, and `bench --resume` continues it from its newest checkpoint with its whole history', async () => {
    const dir = await tempDir();
    await writeBlobs(dir);
    const config = join(dir, 'long.yaml');
    const epochs = 200;
    await writeFile(
      config,
      JSON.stringify({
        name: 'long',
        defaults: {
          ...blobsParts,
          train: { epochs, batchSize: 16, checkpointEvery: 1 },
          eval: { every: 50 },
        },
        runs: [{ name: 'blobs', objective: ccObjective }],
      }),
    );
    const out = join(dir, 'out');
    const run = join(out, 'blobs-seed0');
    const p = start(['bench', config, '--out', out, '--log-every', '1']);
    await p.waitFor(/epoch 3\/200 done/);
    while (!existsSync(join(run, 'checkpoints', 'epoch-0003.ckpt'))) await new Promise((r) => setTimeout(r, 10));
    p.child.kill('SIGKILL');
    await p.exited;
    expect(existsSync(join(out, 'results.json')), 'a killed run writes no record').to.equal(false);
    const events = await readFile(join(run, 'events.jsonl'), 'utf8');

    // Starting it again from scratch would replace its event log: refused, nothing touched.
    const fresh = await cli('bench', config, '--out', out);
    expect(fresh.code, fresh.out).to.equal(2);
    expect(fresh.err).to.include('blobs-seed0').and.include('--resume').and.include('--force');
    expect(await readFile(join(run, 'events.jsonl'), 'utf8')).to.equal(events);

    const resumed = await cli('bench', config, '--out', out, '--resume', '--log-every', '50');
    expect(resumed.code, resumed.err).to.equal(0);
    expect(resumed.out, 'it went on, not from the start').to.not.match(/epoch 1\/200 /);
    expect(resumed.out).to.match(/\[1\/1 blobs-seed0\] continuing from .*blobs-seed0.checkpoints.(last|epoch-\d+)\.ckpt; \d+ epochs recorded before it/);
    const r: BenchResult = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    const finished = r.runs[0];
    expect(finished.status).to.equal('ok');
    expect(finished.epochsDone).to.equal(epochs);
    // The killed part's history comes from its event log: every epoch and step once, in order.
    expect(finished.perEpoch.map((e) => e.epoch)).to.deep.equal(Array.from({ length: epochs }, (_, i) => i));
    expect(finished.stepLoss.map((s) => s.step)).to.deep.equal(Array.from({ length: epochs * 6 }, (_, i) => i));
    expect(finished.perEpoch[49].metrics.acc).to.be.within(0, 1);
    // Both parts' time: the first part ran at least until its third epoch's checkpoint.
    const firstPart = finished.perEpoch.slice(0, 3).reduce((s, e) => s + e.seconds, 0);
    expect(finished.wallSeconds).to.be.greaterThan(firstPart);
  });
});

describe('an interrupted bench of chosen seeds', function () {
  this.timeout(120_000);

  it('names those seeds in its resume command, which finishes that run and trains no other', async () => {
    const dir = await tempDir();
    await writeBlobs(dir);
    const config = join(dir, 'pick.yaml');
    await writeFile(
      config,
      JSON.stringify({
        name: 'pick',
        defaults: {
          ...blobsParts,
          train: { epochs: 30, batchSize: 16 },
        },
        runs: [
          { name: 'cc', objective: ccObjective },
          { name: 'simclr', objective: [{ id: 'simclr', options: { projectionDim: 8 } }] },
        ],
      }),
    );
    const out = join(dir, 'out');
    const p = start(['bench', config, '--out', out, '--seeds', '3', '--only', 'cc', '--log-every', '1']);
    await p.waitFor(/step 8\/180/);
    p.child.kill('SIGTERM');
    expect(await p.exited).to.equal(143);
    const hint = /resume with: clusterflow (.*)/.exec(p.output().err)?.[1];
    expect(hint, p.output().err)
      .to.include('--seeds 3')
      .and.include('--only cc')
      .and.match(/--resume$/);

    const resumed = await cli(...hint!.split(' '));
    expect(resumed.code, resumed.err).to.equal(0);
    const r: BenchResult = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(r.runs.map((run) => [run.name, run.seed, run.status])).to.deep.equal([['cc', 3, 'ok']]);
    expect(r.runs[0].stepLoss.map((s) => s.step)).to.deep.equal(Array.from({ length: 180 }, (_, i) => i));
  });
});

describe('resumeCommand', () => {
  it('keeps a bench of several configs in the --out folder it was given (each config has a folder inside it)', () => {
    expect(resumeCommand(['a.yaml', 'b.yaml'], { out: 'runs', backend: 'wasm' })).to.equal(
      'clusterflow bench a.yaml b.yaml --out runs --backend wasm --resume',
    );
    expect(resumeCommand(['a.yaml', 'b.yaml'], {})).to.equal('clusterflow bench a.yaml b.yaml --resume');
    expect(resumeCommand(['a.yaml'], { seeds: [1, 2] })).to.equal(`clusterflow bench a.yaml --out ${join('results', 'a')} --seeds 1,2 --resume`);
  });
});
