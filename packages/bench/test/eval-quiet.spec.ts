import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from './support/cli.js';
import { tempDir, writeBlobs } from './support/files.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Runs the CLI in a process of its own (TF.js greets once per process) and returns its exit code and output. */
async function ownProcess(...args: string[]): Promise<{ code: unknown; text: string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import=tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const code = await new Promise((r) => child.on('exit', r));
  return { code, text };
}

describe('clusterflow eval, predict and export say only what they found (issue 26, item 12)', function () {
  this.timeout(180_000);
  it("print no TF.js banner about Node.js (no tensor is made before the run's backend is chosen)", async () => {
    const dir = await tempDir();
    await writeBlobs(dir);
    const config = join(dir, 'a.json');
    await writeFile(
      config,
      JSON.stringify({
        name: 'a',
        data: { id: 'vectors', options: { path: 'blobs.json' } },
        backbone: { id: 'mlp', options: { hidden: [16], featureDim: 8 } },
        objective: [{ id: 'cc', options: { projectionDim: 8 } }],
        train: { epochs: 1, batchSize: 16 },
      }),
    );
    const out = join(dir, 'out');
    expect((await cli('train', config, '--out', out)).code).to.equal(0);
    const ckpt = join(out, 'a-seed0', 'checkpoints', 'last.ckpt');
    const evaluated = await ownProcess('eval', ckpt, '--base-dir', dir);
    expect(evaluated.code, evaluated.text).to.equal(0);
    expect(evaluated.text).to.include('metrics:');
    const predicted = await ownProcess('predict', ckpt, '--base-dir', dir, '--out', join(dir, 'p.csv'));
    expect(predicted.code, predicted.text).to.equal(0);
    expect(predicted.text).to.include('assigned');
    const exported = await ownProcess('export', ckpt, '--base-dir', dir, '--out', join(dir, 'model'));
    expect(exported.code, exported.text).to.equal(0);
    expect(exported.text).to.include('exported');
    for (const [name, { text }] of Object.entries({ eval: evaluated, predict: predicted, export: exported }))
      expect(text, name).to.not.include('Hi, looks like');
  });
});
