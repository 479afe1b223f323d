import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult } from '@clusterflow/bench';
import { cli } from './support/cli.js';
import { tempDir, writeBlobs } from './support/files.js';

describe('clusterflow train and eval', () => {
  it('eval prints epoch, config, backend and the metrics of a checkpoint written by train', async () => {
    const dir = await tempDir();
    await writeBlobs(dir);
    const config = {
      name: 'blobs',
      backend: 'cpu',
      data: { id: 'vectors', options: { path: 'blobs.json' } },
      augmentation: { id: 'identity' },
      backbone: { id: 'mlp', options: { hidden: [16], featureDim: 8 } },
      objective: [{ id: 'cc', options: { projectionDim: 8 } }],
      optimizer: { id: 'adam', options: { lr: 0.01 } },
      train: { epochs: 2, batchSize: 32 },
    };
    await writeFile(join(dir, 'blobs.json.yaml'), JSON.stringify(config));
    const out = join(dir, 'out');
    const trained = await cli('train', join(dir, 'blobs.json.yaml'), '--out', out, '--seed', '3');
    expect(trained.code, trained.err).to.equal(0);
    const results: BenchResult = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    const run = results.runs[0];
    expect(run).to.include({ status: 'ok', seed: 3, dir: 'blobs-seed3' });

    const ckpt = join(out, 'blobs-seed3', 'checkpoints', 'last.ckpt');
    const res = await cli('eval', ckpt, '--base-dir', dir);
    expect(res.code, res.err).to.equal(0);
    expect(res.out).to.include('epoch: 2 (step 6)');
    expect(res.out).to.include('config: blobs (cc on mlp, dataset vectors, seed 3)');
    expect(res.out).to.include('backend: cpu');
    for (const m of ['acc', 'nmi', 'ari']) expect(res.out).to.include(`  ${m}: ${run.metrics[m].toFixed(4)}`);
  });

  it('eval of a missing checkpoint fails with exit code 1 and names the file', async () => {
    const res = await cli('eval', '/nonexistent/x.ckpt');
    expect(res.code).to.equal(1);
    expect(res.err).to.include('/nonexistent/x.ckpt');
  });
});
