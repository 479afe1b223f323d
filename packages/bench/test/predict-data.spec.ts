import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { parseAssignmentsCsv } from '@clusterflow/bench';
import { disposeCheckpoint, readCheckpoint, writeCheckpoint } from '@clusterflow/core';
import { loadIdx, npyBytes } from '@clusterflow/data';
import { cli } from './support/cli.js';
import { tempDir } from './support/files.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'test', 'fixtures');
const IMAGES = join(FIXTURES, 'fmnist64-images-idx3-ubyte');
const LABELS = join(FIXTURES, 'fmnist64-labels-idx1-ubyte.gz');

const clusters = (csv: string) =>
  csv
    .trim()
    .split('\n')
    .slice(1)
    .map((r) => Number(r.split(',')[1]));

describe("clusterflow predict's data argument: idx files, image folders, data configs", function () {
  this.timeout(120_000);
  let dir: string;
  let run: string;
  let expected: number[];

  before(async () => {
    dir = await tempDir();
    const config = {
      name: 'fmnist64',
      backend: 'cpu',
      data: { id: 'idx', options: { images: IMAGES, labels: LABELS } },
      augmentation: { id: 'identity', options: { views: 2 } },
      backbone: { id: 'mlp', options: { hidden: [32], featureDim: 16, batchNorm: true } },
      objective: [{ id: 'cc', options: { projectionDim: 8 } }],
      optimizer: { id: 'adam', options: { lr: 0.01 } },
      numClusters: 4,
      train: { epochs: 2, batchSize: 32 },
    };
    await writeFile(join(dir, 'run.json'), JSON.stringify(config));
    const trained = await cli('train', join(dir, 'run.json'), '--out', join(dir, 'out'), '--seed', '0');
    expect(trained.code, trained.err).to.equal(0);
    run = join(dir, 'out', 'fmnist64-seed0');
    expected = parseAssignmentsCsv(await readFile(join(run, 'assignments.csv'), 'utf8')).cluster;
    expect(new Set(expected).size, 'the run uses more than one cluster').to.be.greaterThan(1);
  });

  it("an idx file (labels from --labels), an inline JSON config and a YAML config file give the run's assignments", async () => {
    const idx = await cli('predict', run, IMAGES, '--labels', LABELS, '--out', join(dir, 'idx.csv'));
    expect(idx.code, idx.err).to.equal(0);
    expect(idx.out).to.match(/against the data's labels: acc /);
    expect(clusters(await readFile(join(dir, 'idx.csv'), 'utf8'))).to.deep.equal(expected);

    const inline = await cli('predict', run, JSON.stringify({ id: 'idx', options: { images: IMAGES } }), '--out', join(dir, 'inline.csv'));
    expect(inline.code, inline.err).to.equal(0);
    expect(clusters(await readFile(join(dir, 'inline.csv'), 'utf8'))).to.deep.equal(expected);

    await mkdir(join(dir, 'cfg'));
    await writeFile(join(dir, 'cfg', 'data.yaml'), `id: idx\noptions: { images: ${JSON.stringify(IMAGES)} }\n`);
    const yaml = await cli('predict', run, join(dir, 'cfg', 'data.yaml'), '--out', join(dir, 'yaml.csv'));
    expect(yaml.code, yaml.err).to.equal(0);
    expect(clusters(await readFile(join(dir, 'yaml.csv'), 'utf8'))).to.deep.equal(expected);
  });

  it("a folder of RGB PNGs (of the same pixels, twice the size) is converted to gray and resized to the model's input", async () => {
    const ds = loadIdx({ images: IMAGES });
    const pixels = ds.data as Uint8Array;
    const folder = join(dir, 'pngs');
    await mkdir(folder);
    for (let i = 0; i < ds.size; i++) {
      // 56 x 56 RGB, each pixel repeated 2 x 2: a bilinear resize back to 28 x 28 with
      // half-pixel centres averages four equal values, so the gray image comes back.
      const png = new PNG({ width: 56, height: 56 });
      for (let y = 0; y < 56; y++)
        for (let x = 0; x < 56; x++) {
          const v = pixels[i * 784 + (y >> 1) * 28 + (x >> 1)];
          png.data.set([v, v, v, 255], (y * 56 + x) * 4);
        }
      await writeFile(join(folder, `${String(i).padStart(3, '0')}.png`), PNG.sync.write(png));
    }
    const res = await cli('predict', run, folder, '--out', join(dir, 'pngs.csv'));
    expect(res.code, res.err).to.equal(0);
    const got = clusters(await readFile(join(dir, 'pngs.csv'), 'utf8'));
    const same = got.filter((c, i) => c === expected[i]).length;
    // The same images after a decode and a resize: at most a near-tie may flip.
    expect(same, `${same} of ${got.length} as the run`).to.be.at.least(got.length - 1);
  });

  it('data that is not there, or of the wrong kind, is refused naming it', async () => {
    const missing = await cli('predict', run, join(dir, 'nope.npy'), '--out', join(dir, 'x.csv'));
    expect(missing.code).to.equal(2);
    expect(missing.err).to.match(/nope.npy' does not exist/);
    await writeFile(join(dir, 'flat.npy'), npyBytes(new Float32Array(2 * 784), [2, 784]));
    const vectors = await cli('predict', run, join(dir, 'flat.npy'), '--out', join(dir, 'x.csv'));
    expect(vectors.code).to.equal(2);
    expect(vectors.err).to.match(/flat.npy' has samples of shape \[784\]; the model takes images \[H, W, C\] \(resized to \[28,28,1\]\)/);
    const bad = await cli('predict', run, '{"id": 3}', '--out', join(dir, 'x.csv'));
    expect(bad.code).to.equal(2);
    expect(bad.err).to.match(/a data config is \{ id, options \}/);
  });

  it("assigns other data without the run's own, and says to pass --base-dir when that data is needed and its path was relative to its config's folder", async () => {
    // A run whose config, in its own folder, names its data relative to that folder.
    const home = join(dir, 'relative');
    await mkdir(join(home, 'configs'), { recursive: true });
    await mkdir(join(home, 'data'));
    await writeFile(join(home, 'data', 'images-idx3-ubyte'), await readFile(IMAGES));
    await writeFile(join(home, 'data', 'labels-idx1-ubyte.gz'), await readFile(LABELS));
    const config = {
      name: 'relative',
      backend: 'cpu',
      data: { id: 'idx', options: { images: '../data/images-idx3-ubyte', labels: '../data/labels-idx1-ubyte.gz' } },
      augmentation: { id: 'identity', options: { views: 2 } },
      backbone: { id: 'mlp', options: { hidden: [16], featureDim: 8 } },
      objective: [{ id: 'cc', options: { projectionDim: 8 } }],
      numClusters: 4,
      train: { epochs: 1, batchSize: 32 },
    };
    await writeFile(join(home, 'configs', 'run.json'), JSON.stringify(config));
    const trained = await cli('train', join(home, 'configs', 'run.json'), '--out', join(home, 'out'), '--seed', '0');
    expect(trained.code, trained.err).to.equal(0);
    const run = join(home, 'out', 'relative-seed0');
    const own = parseAssignmentsCsv(await readFile(join(run, 'assignments.csv'), 'utf8')).cluster;
    // Other data (here the same images, named absolutely): the checkpoint records the
    // sample shape and cluster count, so the run's relative data path is never read.
    const other = await cli('predict', run, IMAGES, '--labels', LABELS, '--out', join(home, 'other.csv'));
    expect(other.code, other.err).to.equal(0);
    expect(clusters(await readFile(join(home, 'other.csv'), 'utf8'))).to.deep.equal(own);
    // The run's own data is what to assign: it must be found.
    const lost = await cli('predict', run, '--out', join(home, 'x.csv'));
    expect(lost.code).to.equal(2);
    expect(lost.err).to.include("its run's data").and.include('is the data to assign').and.include('--base-dir').and.include('images-idx3-ubyte');
    const found = await cli('predict', run, '--base-dir', join(home, 'configs'), '--out', join(home, 'x.csv'));
    expect(found.code, found.err).to.equal(0);
    expect(clusters(await readFile(join(home, 'x.csv'), 'utf8'))).to.deep.equal(own);

    // A checkpoint written before it recorded them still takes both from the run's data.
    const ckpt = await readCheckpoint(join(run, 'checkpoints', 'last.ckpt'));
    const { sampleShape, numClusters, ...older } = ckpt.meta;
    expect(sampleShape).to.deep.equal([28, 28, 1]);
    expect(numClusters).to.equal(4);
    await writeCheckpoint(join(home, 'older.ckpt'), { meta: older, state: ckpt.state });
    disposeCheckpoint(ckpt);
    const oldLost = await cli('predict', join(home, 'older.ckpt'), IMAGES, '--out', join(home, 'y.csv'));
    expect(oldLost.code).to.equal(2);
    expect(oldLost.err).to.include('does not record them').and.include('--base-dir');
    const oldFound = await cli('predict', join(home, 'older.ckpt'), IMAGES, '--base-dir', join(home, 'configs'), '--out', join(home, 'y.csv'));
    expect(oldFound.code, oldFound.err).to.equal(0);
    expect(clusters(await readFile(join(home, 'y.csv'), 'utf8'))).to.deep.equal(own);
  });
});
