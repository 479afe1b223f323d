import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError, Registry, UnknownComponentError, loadPlugins } from '@clusterflow/core';
import { linearBackbone, prototypeObjective, testRegistry } from './support/components.js';

describe('registry', () => {
  it('returns a registered factory by kind and id', () => {
    const r = testRegistry();
    expect(r.get('objective', 'prototypes')).to.equal(prototypeObjective);
    expect(r.get('backbone', 'linear')).to.equal(linearBackbone);
    expect(r.has('objective', 'prototypes')).to.equal(true);
    expect(r.has('backbone', 'prototypes')).to.equal(false);
  });

  it('an unknown id is an error listing what is registered, with origins', () => {
    const r = testRegistry();
    r.registrar('my-plugin').objective({ ...prototypeObjective, id: 'other' });
    expect(() => r.get('objective', 'secuu'))
      .to.throw(UnknownComponentError)
      .with.property('message', "unknown objective 'secuu'; registered: prototypes (core-test), other (my-plugin)");
    expect(() => new Registry().get('metric', 'acc')).to.throw("unknown metric 'acc'; registered: none");
  });

  it('refuses a duplicate id, naming both origins, unless override is asked for', () => {
    const r = testRegistry();
    expect(() => r.registrar('plugin-b').objective(prototypeObjective)).to.throw(
      "objective 'prototypes' is already registered by core-test; plugin-b cannot register it again",
    );
    const replacement = { ...prototypeObjective, description: 'replaced' };
    r.registrar('plugin-b').objective(replacement, { override: true });
    expect(r.get('objective', 'prototypes')).to.equal(replacement);
    expect(r.list('objective')).to.have.length(1);
  });

  it('keeps registries apart', () => {
    const a = testRegistry();
    const b = new Registry();
    expect(b.list('objective')).to.deep.equal([]);
    b.registrar('x').objective({ ...prototypeObjective, id: 'only-b' });
    expect(a.has('objective', 'only-b')).to.equal(false);
  });
});

describe('plugins', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-plugin-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads an npm package by name and registers its components under its name', async () => {
    const r = new Registry();
    await loadPlugins(['clusterflow-plugin-example'], r);
    expect(r.list('objective').map((e) => [e.factory.id, e.origin])).to.deep.equal([['mutual-info', 'clusterflow-plugin-example']]);
  });

  it('loads a module by relative path against the base folder, with a default-export plugin', async () => {
    await writeFile(
      join(dir, 'local.mjs'),
      `export default { name: 'local-plugin', register(r) { r.metric({ id: 'zero', options: { safeParse: (v) => ({ success: true, data: v }) }, create: () => ({ id: 'zero', compute: () => 0 }) }); } };`,
    );
    const r = new Registry();
    await loadPlugins(['./local.mjs'], r, dir);
    expect(r.list('metric').map((e) => e.origin)).to.deep.equal(['local-plugin']);
  });

  it('a plugin that cannot be imported is an error naming it', async () => {
    const err = await loadPlugins(['clusterflow-plugin-missing'], new Registry()).catch((e) => e);
    expect(err).to.be.instanceOf(PluginError);
    expect(err.message).to.contain("cannot load plugin 'clusterflow-plugin-missing'");
  });

  it('a module without register(...) is an error listing its exports', async () => {
    await writeFile(join(dir, 'empty.mjs'), 'export const version = 1;');
    const err = await loadPlugins(['./empty.mjs'], new Registry(), dir).catch((e) => e);
    expect(err).to.be.instanceOf(PluginError);
    expect(err.message).to.contain("plugin './empty.mjs' exports no register(...) function (exports: version)");
  });

  it('a plugin whose register throws is an error naming it', async () => {
    await writeFile(join(dir, 'broken.mjs'), "export function register() { throw new Error('boom'); }");
    const err = await loadPlugins(['./broken.mjs'], new Registry(), dir).catch((e) => e);
    expect(err).to.be.instanceOf(PluginError);
    expect(err.message).to.contain("plugin './broken.mjs' failed to register: boom");
  });
});
