import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { evaluateCheckpoint, PluginError, writeCheckpoint } from '@clusterflow/core';
import { testConfig, testRegistry } from './support/components.js';

/** A global the planted plugin sets when imported: proof that a checkpoint ran code. */
const MARK = '__clusterflowCheckpointPluginRan';
const ran = () => (globalThis as Record<string, unknown>)[MARK] === true;

describe('a checkpoint runs no code (issue 26, item 2)', () => {
  let dir: string;
  let plugin: string;
  let ckpt: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-ckpt-plugin-'));
    plugin = join(dir, 'planted-plugin.mjs');
    await writeFile(plugin, `globalThis.${MARK} = true;\nexport function register() {}\n`);
    // Someone else's checkpoint: its stored config names their plugin and an objective only it would register.
    ckpt = join(dir, 'theirs.ckpt');
    const config = testConfig({ plugins: [pathToFileURL(plugin).href, './also-theirs.mjs'], objective: [{ id: 'their-objective' }] });
    await writeCheckpoint(ckpt, { meta: { epoch: 1, step: 3, rng: [1, 2, 3, 4], configHash: '', backend: 'cpu', createdAt: '', config }, state: {} });
  });
  after(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => delete (globalThis as Record<string, unknown>)[MARK]);

  it('evaluating it imports none of the plugins its config names, and says which to pass', async () => {
    const err = await evaluateCheckpoint(ckpt, { registry: testRegistry(), baseDir: dir }).then(
      () => expect.fail('evaluated a checkpoint whose objective nothing registers'),
      (e: unknown) => e as Error,
    );
    expect(ran(), 'the plugin named in the checkpoint was imported').to.equal(false);
    expect(err).to.be.instanceOf(PluginError);
    expect(err.message).to.include("objective 'their-objective'");
    expect(err.message).to.include('--plugin');
    expect(err.message).to.include('also-theirs.mjs');
    expect(err.message).to.include('never loads');
  });
});
