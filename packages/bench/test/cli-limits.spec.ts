import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cli } from './support/cli.js';
import { blobsParts, ccObjective, tempDir, writeBlobs } from './support/files.js';

describe('command-line mistakes found before anything is made (issue 26, items 11 and 12)', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;
  before(async () => {
    dir = await tempDir();
    await writeBlobs(dir);
    config = join(dir, 'a.json');
    await writeFile(
      config,
      JSON.stringify({
        name: 'a',
        ...blobsParts,
        objective: ccObjective,
        train: { epochs: 1, batchSize: 16 },
      }),
    );
  });

  it('refuses a seed beyond 32 bits, or one that JavaScript would round, and makes no folder', async () => {
    for (const seed of ['99999999999999999999', String(2 ** 53 + 1), String(2 ** 32)]) {
      const out = join(dir, `out-${seed}`);
      const res = await cli('train', config, '--seed', seed, '--out', out);
      expect(res.code, seed).to.equal(2);
      expect(res.err, seed).to.include('4294967295');
      expect(existsSync(out), seed).to.equal(false);
    }
  });

  it('refuses --only with no name in it', async () => {
    const bench = join(dir, 'bench.json');
    await writeFile(
      bench,
      JSON.stringify({ name: 'b', runs: [{ name: 'x', data: { id: 'vectors', options: { path: 'blobs.json' } }, objective: [{ id: 'cc' }] }] }),
    );
    for (const only of [',', ' , ', '']) {
      const res = await cli('bench', bench, '--only', only, '--out', join(dir, 'only'));
      expect(res.code, `'${only}'`).to.equal(2);
      expect(res.err).to.include('--only');
    }
  });

  it('a failed run names no checkpoints folder that does not exist', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(
      broken,
      JSON.stringify({
        name: 'broken',
        backend: 'cpu',
        data: { id: 'vectors', options: { path: 'missing.json' } },
        objective: [{ id: 'cc' }],
        train: { epochs: 1 },
      }),
    );
    const out = join(dir, 'broken-out');
    const res = await cli('train', broken, '--out', out);
    expect(res.code).to.equal(1);
    const checkpoints = join(out, 'broken-seed0', 'checkpoints');
    expect(existsSync(checkpoints)).to.equal(false);
    expect(res.out).to.not.include(checkpoints);
    expect(await readdir(out)).to.include('results.json');
  });
});
