import { expect } from 'chai';
import { resultsMarkdown, type BenchResult, type RunResult } from '@clusterflow/bench';

// results.md gets a column for a metric an `eval:` option asks for (kNN purity) only
// when some run reports it, so the tables of every other bench stay as they were.

function run(seed: number, metrics: Record<string, number>): RunResult {
  return {
    name: 'cc',
    seed,
    status: 'ok',
    objectives: ['cc'],
    backbone: 'convnet',
    dataset: 'fashion-mnist',
    backend: 'wasm',
    epochs: 20,
    epochsDone: 20,
    wallSeconds: 100,
    imagesPerSec: 1000,
    metrics,
    mainReadout: 'cluster',
    clusterSizes: { cluster: [5, 5] },
    perEpoch: [],
    stepLoss: [],
    warnings: [],
    dir: `cc-seed${seed}`,
    files: [],
    config: {} as RunResult['config'],
  };
}

function bench(runs: RunResult[]): BenchResult {
  return {
    name: 'pilot',
    date: '2026-12-07T00:00:00.000Z',
    machine: { os: 'Linux', cpu: 'AMD EPYC', cores: 2, node: 'v20', tfjs: '4.22.0' },
    runs,
    ok: runs.length,
    failed: 0,
    interrupted: 0,
  } as BenchResult;
}

const lines = (md: string, start: string) => md.split('\n').filter((l) => l.startsWith(start));

describe('results.md', () => {
  it('has a kNN purity column, mean ± std over seeds, when runs report featureKnnPurity', () => {
    const md = resultsMarkdown(
      bench([run(0, { acc: 0.7, nmi: 0.6, ari: 0.5, featureKnnPurity: 0.74 }), run(1, { acc: 0.72, nmi: 0.62, ari: 0.52, featureKnnPurity: 0.73 })]),
    );
    expect(lines(md, '| run | objective')).to.deep.equal([
      '| run | objective | backbone | dataset | backend | seeds ok | ACC | NMI | ARI | kNN purity | images/s | wall s |',
    ]);
    expect(md).to.include('| cc | cc | convnet | fashion-mnist | wasm | 2/2 | 0.710 ± 0.014 | 0.610 ± 0.014 | 0.510 ± 0.014 | 0.735 ± 0.007 | 1000 ± 0 |');
    expect(lines(md, '| run | seed')).to.deep.equal(['| run | seed | status | epochs | ACC | NMI | ARI | kNN purity | cluster sizes | images/s | wall s |']);
    expect(md).to.include('| cc | 1 | ok | 20/20 | 0.720 | 0.620 | 0.520 | 0.730 | 5 5 | 1000 | 100.0 |');
    // Every row has as many cells as its header.
    for (const table of md.split('\n\n').filter((t) => t.startsWith('| run'))) {
      const widths = table
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('|').length);
      expect(new Set(widths).size, table).to.equal(1);
    }
  });

  it('names the machine of each run gathered from a bench on another machine, and no other', () => {
    const xeon = { os: 'Linux', cpu: 'Intel Xeon', cores: 2, node: 'v20', tfjs: '4.22.0', blas: 'OpenBLAS 0.3.21, core SkylakeX' };
    const md = resultsMarkdown(bench([run(0, { acc: 0.7 }), { ...run(2, { acc: 0.7 }), machine: xeon }]));
    expect(lines(md, '- machine')).to.deep.equal(['- machine: AMD EPYC, 2 cores; Linux; node v20; tfjs 4.22.0']);
    expect(lines(md, '- trained on another machine')).to.deep.equal([
      '- trained on another machine: cc seed 2: Intel Xeon, 2 cores; Linux; node v20; tfjs 4.22.0; OpenBLAS 0.3.21, core SkylakeX',
    ]);
    expect(resultsMarkdown(bench([run(0, { acc: 0.7 })]))).to.not.include('another machine');
  });

  it('has no such column when no run reports it', () => {
    const md = resultsMarkdown(bench([run(0, { acc: 0.7, nmi: 0.6, ari: 0.5 })]));
    expect(md).to.not.include('kNN purity');
    expect(lines(md, '| run | seed')).to.deep.equal(['| run | seed | status | epochs | ACC | NMI | ARI | cluster sizes | images/s | wall s |']);
    expect(md).to.include('|---|---|---|---|---|---|---|---|---|---|\n| cc | 0 | ok | 20/20 | 0.700 | 0.600 | 0.500 | 5 5 | 1000 | 100.0 |');
  });
});
