import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, tempDir, writeBlobs } from './support.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('clusterflow eval says only what it found (issue 26, item 12)', function () {
  this.timeout(120_000);
  it("prints no TF.js banner about Node.js (no tensor is made before the run's backend is chosen)", async () => {
    const dir = await tempDir();
    await writeBlobs(dir);
    const config = join(dir, 'a.json');
    await writeFile(config, JSON.stringify({ name: 'a', data: { id: 'vectors', options: { path: 'blobs.json' } }, backbone: { id: 'mlp', options: { hidden: [16], featureDim: 8 } }, objective: [{ id: 'cc', options: { projectionDim: 8 } }], train: { epochs: 1, batchSize: 16 } }));
    const out = join(dir, 'out');
    expect((await cli('train', config, '--out', out)).code).to.equal(0);
    // A process of its own: TF.js says it once per process, and this one has long used its CPU backend.
    const child = spawn(process.execPath, ['--conditions=source', '--import=tsx', main, 'eval', join(out, 'a-seed0', 'checkpoints', 'last.ckpt'), '--base-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code, text).to.equal(0);
    expect(text).to.include('metrics:');
    expect(text).to.not.include('Hi, looks like');
  });
});
