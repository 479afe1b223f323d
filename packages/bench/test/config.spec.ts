import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkRunNames, deepMerge, expandRuns, loadBenchConfig, parseBenchConfig } from '@clusterflow/bench';
import { ConfigError } from '@clusterflow/core';
import { formatMeanStd } from '@clusterflow/bench';
import { cli } from './support/cli.js';
import { tempDir } from './support/files.js';

const base = {
  data: { id: 'vectors', options: { path: 'x.json' } },
  augmentation: { id: 'identity' },
  backbone: { id: 'mlp', options: { hidden: [8] } },
  optimizer: { id: 'adam' },
  train: { epochs: 2, batchSize: 16 },
};

describe('bench config', () => {
  it('merges defaults into each run: objects key by key, lists replaced', () => {
    expect(deepMerge({ train: { epochs: 2, batchSize: 16 }, objective: [{ id: 'a' }] }, { train: { epochs: 5 }, objective: [{ id: 'b' }] })).to.deep.equal({
      train: { epochs: 5, batchSize: 16 },
      objective: [{ id: 'b' }],
    });
    const plan = parseBenchConfig({ defaults: base, runs: [{ name: 'a', objective: [{ id: 'cc' }], train: { epochs: 3 } }] }, 'test');
    expect(plan.runs[0].train).to.include({ epochs: 3, batchSize: 16 });
    expect(plan.runs[0].backbone?.options).to.deep.equal({ hidden: [8] });
  });

  it('names the run and field of an invalid run, with the value found', () => {
    const bad = () =>
      parseBenchConfig(
        {
          defaults: base,
          runs: [
            { name: 'ok', objective: [{ id: 'cc' }] },
            { name: 'neg', objective: [{ id: 'cc' }], train: { epochs: 0 } },
          ],
        },
        'bench.yaml',
      );
    expect(bad).to.throw(ConfigError, /invalid runs\.1 \('neg'\) of bench\.yaml:\n  train\.epochs: .*\(got 0\)/);
    expect(() => parseBenchConfig({ runs: [], extra: 1 }, 'b')).to.throw(ConfigError, /runs: .*\n.*extra|extra[\s\S]*runs/);
    expect(() =>
      parseBenchConfig(
        {
          defaults: base,
          runs: [
            { name: 'x', objective: [{ id: 'cc' }] },
            { name: 'x', objective: [{ id: 'cc' }] },
          ],
        },
        'b',
      ),
    ).to.throw(ConfigError, /runs\.1\.name: run names must be unique/);
  });

  it('a config error stops the CLI before training with exit code 2 and the field named', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'b.yaml'),
      `defaults: ${JSON.stringify(base)}\nruns:\n  - name: r\n    objective: [{ id: cc }]\n    optimizer: { id: rmsprop }\n`,
    );
    const res = await cli('bench', join(dir, 'b.yaml'), '--out', join(dir, 'out'));
    expect(res.code).to.equal(2);
    expect(res.err).to.include("run 'r' of bench 'b': unknown optimizer 'rmsprop'; registered: sgd (builtin:@clusterflow/core)");
  });

  it('validates every run before the first one trains: a misspelt option of the last run costs nothing', async () => {
    const dir = await tempDir();
    const runs = `runs:\n  - name: first\n    objective: [{ id: cc }]\n  - name: second\n    objective: [{ id: secu, options: { constraint: size, clrr: 0.01 } }]\n`;
    await writeFile(join(dir, 'b.yaml'), `defaults: ${JSON.stringify(base)}\n${runs}`);
    const res = await cli('bench', join(dir, 'b.yaml'), '--out', join(dir, 'out'));
    expect(res.code).to.equal(2);
    expect(res.err).to.include("run 'second' of bench 'b': invalid options of objective 'secu'").and.include('clrr');
    expect(res.out, 'nothing trained').to.equal('');
  });

  it('--seeds repeats every run per seed and --backend overrides the config', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'b.json'),
      JSON.stringify({
        defaults: base,
        runs: [
          { name: 'a', objective: [{ id: 'cc' }] },
          { name: 'b', seed: 7, objective: [{ id: 'simclr' }] },
        ],
      }),
    );
    const plan = await loadBenchConfig(join(dir, 'b.json'));
    expect(plan.name).to.equal('b');
    expect(plan.baseDir).to.equal(dir);
    expect(expandRuns(plan, {}).map((r) => `${r.name}:${r.seed}:${r.backend}`)).to.deep.equal(['a:0:auto', 'b:7:auto']);
    expect(expandRuns(plan, { seeds: [0, 1], backend: 'wasm' }).map((r) => `${r.name}:${r.seed}:${r.backend}`)).to.deep.equal([
      'a:0:wasm',
      'a:1:wasm',
      'b:0:wasm',
      'b:1:wasm',
    ]);
    expect(expandRuns(plan, { only: ['b'] }).map((r) => r.name)).to.deep.equal(['b']);
    expect(() => checkRunNames([plan], ['b'])).not.to.throw();
    expect(() => checkRunNames([plan], ['b', 'cc'])).to.throw(ConfigError, /no run named 'cc'; the runs are: a, b/);
  });

  it('formats mean ± sample standard deviation', () => {
    expect(formatMeanStd([0.5, 0.7])).to.equal('0.600 ± 0.141');
    expect(formatMeanStd([0.5])).to.equal('0.500');
    expect(formatMeanStd([])).to.equal('-');
  });
});

describe('the standard configs in configs/', () => {
  // Every bench config there (smoke.yaml is a train config), so a new one is checked without being listed.
  const folder = fileURLToPath(new URL('../../../configs/', import.meta.url));
  const names = readdirSync(folder)
    .filter((f) => f.endsWith('.yaml') && f !== 'smoke.yaml')
    .map((f) => f.replace(/\.yaml$/, ''));
  it('are found', () => expect(names).to.include.members(['default', 'fashion-mnist', 'fashion-mnist-reproduce', 'fashion-mnist-convnet', 'cifar10']));
  for (const name of names) {
    it(`${name}.yaml is a valid bench config`, async () => {
      const plan = await loadBenchConfig(join(folder, `${name}.yaml`));
      expect(plan.name).to.equal(name);
      expect(plan.runs.length).to.be.greaterThan(0);
      expect(plan.runs.every((r) => r.eval.every > 0)).to.equal(true);
    });
  }
});
