import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '@clusterflow/bench';
import { peekCheckpointMeta } from '@clusterflow/core';
import { cli } from './support/cli.js';
import { blobsParts, ccObjective, tempDir, writeBlobs } from './support/files.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** A run config over the blobs, named `name`. */
async function runConfig(dir: string, name: string, epochs: number): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(
    path,
    JSON.stringify({
      name,
      ...blobsParts,
      objective: ccObjective,
      train: { epochs, batchSize: 16 },
      eval: { every: 10 },
    }),
  );
  return path;
}

const results = async (out: string): Promise<BenchResult> => JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));

describe('a run folder loses nothing (issue 26, item 5)', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await tempDir();
    await writeBlobs(dir);
  });

  it('a second process into the same --out refuses at once, naming the process that holds it', async () => {
    const out = join(dir, 'busy');
    const long = await runConfig(dir, 'long', 200);
    const child = spawn(process.execPath, ['--conditions=source', '--import=tsx', main, 'train', long, '--out', out, '--log-every', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let text = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => ((text += d), /step 3\//.test(text) && resolve()));
        child.on('exit', () => reject(new Error(`exited early: ${text}`)));
      });
      const second = await cli('train', await runConfig(dir, 'other', 1), '--out', out);
      expect(second.code).to.equal(2);
      expect(second.err).to.include(`process ${child.pid} on ${hostname()}`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a lock left by a process that is gone is taken over', async () => {
    const out = join(dir, 'stale');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, '.clusterflow.lock'), JSON.stringify({ pid: 2 ** 30, host: hostname(), command: 'train', since: '' }));
    const res = await cli('train', await runConfig(dir, 'a', 1), '--out', out);
    expect(res.code, res.err).to.equal(0);
  });

  it('train A then train B into one --out: its results.json holds both', async () => {
    const out = join(dir, 'both');
    expect((await cli('train', await runConfig(dir, 'a', 1), '--out', out)).code).to.equal(0);
    expect((await cli('train', await runConfig(dir, 'b', 1), '--out', out)).code).to.equal(0);
    const r = await results(out);
    expect(r.runs.map((x) => x.dir).sort()).to.deep.equal(['a-seed0', 'b-seed0']);
    expect(r.ok).to.equal(2);
  });

  it("a finished run's files are not replaced without --resume or --force", async () => {
    const out = join(dir, 'again');
    const a = await runConfig(dir, 'a', 1);
    expect((await cli('train', a, '--out', out)).code).to.equal(0);
    const first = await readFile(join(out, 'a-seed0', 'results.json'), 'utf8');
    const again = await cli('train', a, '--out', out);
    expect(again.code).to.equal(2);
    expect(again.err).to.include('a-seed0').and.include('--force');
    expect(await readFile(join(out, 'a-seed0', 'results.json'), 'utf8')).to.equal(first);
    const forced = await cli('train', a, '--out', out, '--force');
    expect(forced.code, forced.err).to.equal(0);
    expect(await readFile(join(out, 'a-seed0', 'results.json'), 'utf8')).to.not.equal(first);
  });

  it("--force starts a run's checkpoints afresh: killed early, it leaves none of the run it replaced to resume from", async () => {
    const out = join(dir, 'forced');
    const a = await runConfig(dir, 'a', 30);
    expect((await cli('train', a, '--out', out)).code).to.equal(0);
    const checkpoints = join(out, 'a-seed0', 'checkpoints');
    expect(await readdir(checkpoints)).to.include.members(['epoch-0030.ckpt', 'last.ckpt']);
    const child = spawn(process.execPath, ['--conditions=source', '--import=tsx', main, 'train', a, '--out', out, '--force', '--log-every', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => ((text += d), /step 3\//.test(text) && resolve()));
      child.on('exit', () => reject(new Error(`exited early: ${text}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    // The replaced run's last.ckpt (its end) would otherwise be what --resume continues.
    // (The kill may land an epoch or so after step 3: the new run's own files may be there.)
    const left = existsSync(checkpoints) ? await readdir(checkpoints) : [];
    expect(left).to.not.include('epoch-0030.ckpt');
    if (left.includes('last.ckpt')) expect((await peekCheckpointMeta(join(checkpoints, 'last.ckpt'))).epoch).to.be.below(5);
  });
});

describe('--resume with a checkpoint that cannot continue the run writes nothing (issue 26, item 6)', function () {
  this.timeout(120_000);
  let dir: string;
  let out: string;
  let config: string;
  const files = async () => Promise.all(['results.json', 'a-seed0/results.json', 'a-seed0/results.md'].map((f) => readFile(join(out, f), 'utf8')));

  before(async () => {
    dir = await tempDir();
    await writeBlobs(dir);
    out = join(dir, 'out');
    config = await runConfig(dir, 'a', 2);
    expect((await cli('train', config, '--out', out)).code).to.equal(0);
    // As a run interrupted after its first epoch would have left them.
    for (const f of ['results.json', 'a-seed0/results.json']) {
      const r = await results(join(out, f, '..'));
      for (const run of r.runs) run.status = 'interrupted';
      await writeFile(join(out, f), JSON.stringify(r));
    }
  });

  it('refuses a checkpoint of another configuration before touching any file', async () => {
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ ...JSON.parse(await readFile(config, 'utf8')), train: { epochs: 2, batchSize: 32 } }));
    const before = await files();
    const res = await cli('train', other, '--resume', join(out, 'a-seed0'));
    expect(res.code, res.err).to.equal(2);
    expect(res.err).to.include('different configuration');
    expect(await files()).to.deep.equal(before);
  });

  it('refuses a corrupt checkpoint before touching any file', async () => {
    const ckpt = join(out, 'a-seed0', 'checkpoints', 'epoch-0001.ckpt');
    const bytes = await readFile(ckpt);
    const bad = join(dir, 'bad.ckpt');
    await writeFile(bad, bytes.subarray(0, bytes.length - 100));
    const before = await files();
    const res = await cli('train', config, '--resume', bad, '--out', out);
    expect(res.code, res.err).to.equal(2);
    expect(res.err).to.include('truncated');
    expect(await files()).to.deep.equal(before);
  });
});

/**
 * A 2-epoch run without its last.ckpt, recorded as interrupted, as `damage` leaves
 * its checkpoints folder; then `train --resume <run folder>` to 3 epochs.
 */
async function resumeDamagedRun(damage: (ckpts: string) => Promise<void>) {
  const dir = await tempDir();
  await writeBlobs(dir);
  const out = join(dir, 'out');
  const two = await runConfig(dir, 'a', 2);
  expect((await cli('train', two, '--out', out)).code).to.equal(0);
  const ckpts = join(out, 'a-seed0', 'checkpoints');
  const { rm } = await import('node:fs/promises');
  await rm(join(ckpts, 'last.ckpt'));
  await damage(ckpts);
  const r = await results(out);
  for (const run of r.runs) run.status = 'interrupted';
  await writeFile(join(out, 'results.json'), JSON.stringify(r));
  const three = join(dir, 'three.json');
  await writeFile(three, JSON.stringify({ ...JSON.parse(await readFile(two, 'utf8')), train: { epochs: 3, batchSize: 16 } }));
  const res = await cli('train', three, '--resume', join(out, 'a-seed0'));
  expect(res.code, res.err).to.equal(0);
  const done = (await results(out)).runs.find((x) => x.dir === 'a-seed0')!;
  expect(done.status).to.equal('ok');
  expect(done.epochsDone).to.equal(3);
  return { res, ckpts };
}

describe('a run whose last checkpoint is missing or broken continues from the newest whole one (issue 26, item 8)', function () {
  this.timeout(120_000);
  it('train --resume <run folder> falls back to the newest valid epoch checkpoint', async () => {
    // A full disk: last.ckpt never written, the newest epoch checkpoint cut short.
    const { res, ckpts } = await resumeDamagedRun(async (ckpts) => {
      const { truncate } = await import('node:fs/promises');
      await truncate(join(ckpts, 'epoch-0002.ckpt'), 100);
    });
    expect(res.out).to.include(`continuing from ${join(ckpts, 'epoch-0001.ckpt')}`);
  });
});

describe('a run folder copied elsewhere continues from its newest checkpoint, whatever times the copy gave its files', function () {
  this.timeout(120_000);
  it('without last.ckpt, goes on from epoch 2 although epoch 1 is the newer file', async () => {
    const { res, ckpts } = await resumeDamagedRun(async (ckpts) => {
      const { utimes } = await import('node:fs/promises');
      const later = new Date(Date.now() + 60_000);
      await utimes(join(ckpts, 'epoch-0001.ckpt'), later, later);
    });
    expect(res.out).to.include(`continuing from ${join(ckpts, 'epoch-0002.ckpt')}`);
  });
});

describe('a run whose folder cannot be written fails alone; the bench goes on (issue 26, item 7)', function () {
  this.timeout(120_000);
  it("records the run as failed with the file system's reason, and trains the others", async () => {
    const dir = await tempDir();
    await writeBlobs(dir);
    const bench = join(dir, 'two.json');
    const run = JSON.parse(await readFile(await runConfig(dir, 'x', 1), 'utf8'));
    delete run.name;
    await writeFile(bench, JSON.stringify({ name: 'two', defaults: run, runs: [{ name: 'first' }, { name: 'second' }] }));
    const out = join(dir, 'out');
    await mkdir(out);
    // Where the first run's folder would go there is a file: its folder cannot be made (as on a read-only mount).
    await writeFile(join(out, 'first-seed0'), 'in the way');
    const res = await cli('bench', bench, '--out', out);
    expect(res.code, res.err + res.out).to.equal(1);
    const r = await results(out);
    const first = r.runs.find((x) => x.dir === 'first-seed0')!;
    expect(first.status).to.equal('failed');
    expect(first.error).to.include('first-seed0');
    expect(r.runs.find((x) => x.dir === 'second-seed0')?.status).to.equal('ok');
  });
});

describe('bench --resume continues a failed run from its checkpoint rather than from the start', function () {
  this.timeout(120_000);
  it('a run recorded failed after 2 epochs (a full disk) is refused without a flag, and goes on at epoch 3 with --resume', async () => {
    const dir = await tempDir();
    await writeBlobs(dir);
    const run = JSON.parse(await readFile(await runConfig(dir, 'x', 2), 'utf8'));
    delete run.name;
    const bench = join(dir, 'one.json');
    const writeBench = (epochs: number) =>
      writeFile(bench, JSON.stringify({ name: 'one', defaults: { ...run, train: { ...run.train, epochs, checkpointEvery: 1 } }, runs: [{ name: 'a' }] }));
    await writeBench(2);
    const out = join(dir, 'out');
    expect((await cli('bench', bench, '--out', out)).code).to.equal(0);
    const r = await results(out);
    Object.assign(r.runs[0], { status: 'failed', error: 'ENOSPC: no space left on device' });
    Object.assign(r, { ok: 0, failed: 1 });
    await writeFile(join(out, 'results.json'), JSON.stringify(r));
    await writeBench(3);
    // Without a flag it is refused, as an interrupted run is: starting afresh would lose its epochs.
    const plain = await cli('bench', bench, '--out', out);
    expect(plain.code, plain.err + plain.out).to.equal(2);
    expect(plain.err).to.include('failed run a-seed0 (ENOSPC').and.include('--resume continues it').and.include('--force');
    expect((await results(out)).runs[0].status).to.equal('failed');
    const res = await cli('bench', bench, '--out', out, '--resume');
    expect(res.code, res.err + res.out).to.equal(0);
    expect(res.out)
      .to.include(`continuing from ${join(out, 'a-seed0', 'checkpoints', 'last.ckpt')}`)
      .and.include('it failed before: ENOSPC');
    const done = (await results(out)).runs.find((x) => x.dir === 'a-seed0')!;
    expect(done.status).to.equal('ok');
    expect(done.epochsDone).to.equal(3);
    // Only the third epoch was trained again: this part of the log starts at epoch 2.
    const starts = (await readFile(join(out, 'a-seed0', 'events.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('"run-start"'))
      .map((l) => JSON.parse(l));
    expect(starts.at(-1).resumedFrom?.epoch).to.equal(2);
  });
});
