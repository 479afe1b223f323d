import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { ari, clusterAccuracy, nmi } from '@clusterflow/eval';
import { parseAssignmentsCsv, type BenchResult } from '@clusterflow/bench';
import { cli } from './support/cli.js';
import { tempDir } from './support/files.js';

const TINY = `
name: tiny
defaults:
  backend: cpu
  data: { id: fashion-mnist }
  augmentation: { id: multi-view }
  backbone: { id: mlp, options: { hidden: [64], featureDim: 16 } }
  optimizer: { id: adam, options: { lr: 0.001 } }
  train: { epochs: 2, batchSize: 64, maxStepsPerEpoch: 3 }
  eval: { every: 1 }
runs:
  - name: cc
    objective: [{ id: cc }]
  - name: broken
    data: { id: idx, options: { images: missing-images.gz } }
    objective: [{ id: cc }]
`;

describe('clusterflow bench: a tiny bench with one failing run', () => {
  let dir: string;
  let out: string;
  let res: { code: number; out: string; err: string };
  let results: BenchResult;

  before(async () => {
    dir = await tempDir();
    out = join(dir, 'out');
    await writeFile(join(dir, 'tiny.yaml'), TINY);
    res = await cli('bench', join(dir, 'tiny.yaml'), '--out', out, '--log-every', '2');
    results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
  });

  it('exits 1 because a run failed, after running the others, with plain progress lines', () => {
    expect(res.code).to.equal(1);
    expect(res.out).to.include('[1/2 cc-seed0] epoch 1/2 done in').and.include('[2/2 broken-seed0] FAILED');
    expect(res.out).to.include('tiny: 1 ok, 1 failed');
  });

  it('records both runs in results.json, the failed one with its error', () => {
    expect(results.ok).to.equal(1);
    expect(results.failed).to.equal(1);
    const [ok, bad] = results.runs;
    expect(ok).to.include({ name: 'cc', seed: 0, status: 'ok', backbone: 'mlp', dataset: 'fashion-mnist', backend: 'cpu', epochs: 2, epochsDone: 2 });
    expect(ok.objectives).to.deep.equal(['cc']);
    expect(ok.wallSeconds).to.be.greaterThan(0);
    expect(ok.imagesPerSec).to.be.greaterThan(0);
    expect(ok.metrics.acc).to.be.within(0, 1);
    expect(ok.clusterSizes[ok.mainReadout!].reduce((a, b) => a + b)).to.equal(10000);
    expect(ok.perEpoch.map((e) => e.epoch)).to.deep.equal([0, 1]);
    expect(ok.perEpoch[0].metrics).to.have.keys('acc', 'nmi', 'ari');
    expect(ok.perEpoch[1].loss.total).to.be.a('number');
    expect(bad.status).to.equal('failed');
    expect(bad.error).to.include('missing-images.gz');
  });

  it('writes results.md with machine, backend, the table and the failure', async () => {
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).to.match(/- machine: .+, \d+ cores/);
    expect(md).to.include('- backend: cpu');
    expect(md).to.match(/\| cc \| cc \| mlp \| fashion-mnist \| cpu \| 1\/1 \| 0\.\d{3} \|/);
    expect(md).to.match(/\| broken \| 0 \| failed \|/);
    expect(md).to.match(/- \*\*broken\*\* \(seed 0\): .*missing-images\.gz/);
    const runMd = await readFile(join(out, 'broken-seed0', 'results.md'), 'utf8');
    expect(runMd).to.include('failed');
  });

  it('writes assignments.csv whose metrics, recomputed with @clusterflow/eval, equal the reported ones', async () => {
    const text = await readFile(join(out, 'cc-seed0', 'assignments.csv'), 'utf8');
    expect(text.split('\n')[0]).to.equal('index,label,cluster');
    const csv = parseAssignmentsCsv(text);
    expect(csv.index).to.have.length(10000);
    expect(csv.index[9999]).to.equal(9999);
    const m = results.runs[0].metrics;
    expect(clusterAccuracy(csv.label, csv.cluster)).to.be.closeTo(m.acc, 1e-9);
    expect(nmi(csv.label, csv.cluster)).to.be.closeTo(m.nmi, 1e-9);
    expect(ari(csv.label, csv.cluster)).to.be.closeTo(m.ari, 1e-9);
  });

  it('renders the plots as SVG and the sample grid as a PNG with one row per cluster', async () => {
    for (const f of ['loss.svg', 'metrics.svg', 'confusion.svg']) {
      const svg = await readFile(join(out, 'cc-seed0', f), 'utf8');
      expect(svg, f).to.match(/^<svg [^>]*width="\d+"/);
      expect(svg.length, f).to.be.greaterThan(2000);
    }
    expect(await readFile(join(out, 'metrics.svg'), 'utf8')).to.match(/^<svg /);
    const png = PNG.sync.read(await readFile(join(out, 'cc-seed0', 'samples.png')));
    // 8 cells of 28 px scaled x2 plus 2-px gaps across, 10 clusters down.
    expect(png.width).to.equal(8 * 58 + 2);
    expect(png.height).to.equal(10 * 58 + 2);
    expect(results.runs[0].files).to.include.members(['assignments.csv', 'loss.svg', 'metrics.svg', 'confusion.svg', 'samples.png']);
  });
});
