import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '@clusterflow/bench';
import { cli, tempDir, writeBlobs } from './support.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** A run config over the blobs, named `name`. */
async function runConfig(dir: string, name: string, epochs: number): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(
    path,
    JSON.stringify({
      name,
      backend: 'cpu',
      data: { id: 'vectors', options: { path: 'blobs.json' } },
      backbone: { id: 'mlp', options: { hidden: [16], featureDim: 8 } },
      objective: [{ id: 'cc', options: { projectionDim: 8 } }],
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
    const child = spawn(process.execPath, ['--conditions=source', '--import=tsx', main, 'train', long, '--out', out, '--log-every', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
});
