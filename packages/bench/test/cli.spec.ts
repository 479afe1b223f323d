import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cli } from './support/cli.js';
import { tempDir } from './support/files.js';

const bin = fileURLToPath(new URL('../bin/clusterflow.js', import.meta.url));

describe('clusterflow CLI: parsing, help, list', () => {
  it('prints help for the program and for every command', async () => {
    const top = await cli('--help');
    expect(top.code).to.equal(0);
    for (const cmd of ['bench', 'train', 'eval', 'list']) expect(top.out).to.match(new RegExp(`^\\s+${cmd} `, 'm'));
    const bench = await cli('bench', '--help');
    expect(bench.code).to.equal(0);
    expect(bench.out).to.include('--seeds <list>').and.include('--backend <name>').and.include('--resume');
    expect((await cli('train', '--help')).out).to.include('--resume <path>');
    expect((await cli('eval', '--help')).out).to.include('<checkpoint>');
  });

  it('the built bin answers --help (what `npx clusterflow --help` runs)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help']);
    expect(stdout).to.include('Usage: clusterflow').and.include('bench [options] <config...>');
  });

  it('rejects bad arguments with exit code 2 and says why', async () => {
    const seeds = await cli('bench', 'x.yaml', '--seeds', '0,a');
    expect(seeds.code).to.equal(2);
    expect(seeds.err).to.include("expected non-negative integers separated by commas, e.g. 0,1,2 (got '0,a')");
    const dir = await tempDir();
    await writeFile(join(dir, 'run.yaml'), 'data: { id: fashion-mnist }\nobjective: [{ id: cc }]\n');
    const backend = await cli('train', join(dir, 'run.yaml'), '--backend', 'tpu', '--out', join(dir, 'out'));
    expect(backend.code).to.equal(2);
    expect(backend.err).to.include("unknown backend 'tpu'; registered:").and.include('wasm (builtin:@clusterflow/core)');
    expect((await cli('frobnicate')).code).to.equal(2);
  });

  it('list prints every registered component with its origin and options', async () => {
    const { code, out } = await cli('list');
    expect(code).to.equal(0);
    for (const id of [
      'simclr',
      'cc',
      'secu',
      'concurl',
      'mlp',
      'convnet',
      'resnet18-cifar',
      'fashion-mnist',
      'vectors',
      'multi-view',
      'identity',
      'acc',
      'nmi',
      'ari',
      'purity',
    ]) {
      expect(out).to.match(new RegExp(`^  ${id}  \\[builtin:@clusterflow/`, 'm'), id);
    }
    expect(out).to.include('  secu  [builtin:@clusterflow/objectives]');
    // Every kind a plugin can add is listed the same way.
    for (const [kind, id] of [
      ['transforms', 'random-resized-crop'],
      ['optimizers', 'adamw'],
      ['schedules', 'warmup-cosine'],
      ['hooks', 'early-stop'],
      ['backends', 'wasm'],
    ]) {
      expect(out).to.match(new RegExp(`^${kind} \\(\\d+\\):$`, 'm'), kind);
      expect(out).to.match(new RegExp(`^  ${id}  \\[builtin:@clusterflow/`, 'm'), id);
    }
    expect(out).to.include('patience: integer = 5');
    expect(out).to.include('featureDim: integer = 10');
    expect(out).to.include('split: "train" | "test" | "all" = "test"');
  });

  it('list --json gives the options as JSON Schema with defaults', async () => {
    const { out } = await cli('list', '--json');
    const items = JSON.parse(out) as { kind: string; id: string; origin: string; options: { properties?: Record<string, { default?: unknown }> } }[];
    const mlp = items.find((i) => i.kind === 'backbone' && i.id === 'mlp')!;
    expect(mlp.origin).to.equal('builtin:@clusterflow/backbones');
    expect(mlp.options.properties!.hidden.default).to.deep.equal([500, 500, 2000]);
    expect(items.filter((i) => i.kind === 'metric').map((i) => i.id)).to.have.members(['acc', 'nmi', 'ari', 'purity']);
  });
});
