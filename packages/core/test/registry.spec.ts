import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMEANS, KIND_NAMES, PluginError, createRegistry, Registry, UnknownComponentError, loadPlugins, type KMeansService } from '@clusterflow/core';
import { z } from 'zod';
import { linearBackbone, prototypeObjective, testConfig, testRegistry } from './support/components.js';
import { runAll } from './support/run.js';

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
    expect(() => createRegistry().get('metric', 'acc')).to.throw("unknown metric 'acc'; registered: none");
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

  it("starts with core's own optimizers, schedules, hooks and backends", () => {
    const r = createRegistry();
    const ids = (kind: Parameters<Registry['list']>[0]) => r.list(kind).map((e) => e.factory.id);
    expect(ids('optimizer')).to.deep.equal(['sgd', 'adam', 'adamw']);
    expect(ids('schedule')).to.deep.equal(['constant', 'warmup-cosine']);
    expect(ids('hook')).to.include.members(['evaluate', 'checkpoint', 'collapse-warning', 'early-stop', 'progress']);
    expect(ids('backend')).to.deep.equal(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(r.list('optimizer')[0].origin).to.equal('builtin:@clusterflow/core');
    expect(KIND_NAMES).to.include.members([
      'objective',
      'backbone',
      'dataset',
      'augmentation',
      'transform',
      'metric',
      'optimizer',
      'schedule',
      'hook',
      'backend',
    ]);
  });

  it('new Registry() is empty: the built-ins come from createRegistry()', () => {
    const r = new Registry();
    for (const kind of KIND_NAMES) expect(r.list(kind), kind).to.deep.equal([]);
    expect(createRegistry().has('optimizer', 'adam')).to.equal(true);
  });

  it('gives a registrar one adder per kind, each registering under its own kind', () => {
    const r = new Registry();
    const reg = r.registrar('kinds-test');
    expect(
      Object.keys(reg)
        .filter((k) => k !== 'origin' && k !== 'service')
        .sort(),
    ).to.deep.equal([...KIND_NAMES].sort());
    reg.backbone(linearBackbone);
    expect(r.list('backbone').map((e) => [e.kind, e.origin])).to.deep.equal([['backbone', 'kinds-test']]);
    expect(r.list('objective')).to.deep.equal([]);
  });

  it('lets a plugin add an optimizer and a schedule that a config then names as { id, options }', async () => {
    const r = testRegistry();
    const used: string[] = [];
    const reg = r.registrar('my-plugin');
    const sgd = r.get('optimizer', 'sgd');
    reg.optimizer({
      id: 'plain-sgd',
      options: z.object({ lr: z.number().default(0.1) }).strict(),
      create: ({ lr }) => (used.push(`plain-sgd lr=${lr}`), sgd.create({ lr, momentum: 0, weightDecay: 0, nesterov: false }, {})),
    });
    reg.schedule({
      id: 'halving',
      options: z.object({ every: z.number().int().positive() }).strict(),
      create: ({ every }) => ({ id: 'halving', lr: (base, e) => base * 0.5 ** Math.floor(e / every) }),
    });
    const lrs: number[] = [];
    const events = await runAll(
      testConfig({
        optimizer: { id: 'plain-sgd', options: { lr: 0.2 } },
        schedule: { id: 'halving', options: { every: 1 } },
        train: { epochs: 2, batchSize: 96 },
      }),
      r,
    );
    for (const e of events) if (e.type === 'step') lrs.push(e.lr);
    expect(used).to.deep.equal(['plain-sgd lr=0.2']);
    expect(lrs).to.deep.equal([0.2, 0.1]);
  });

  it("passes a schedule the steps per epoch: warmup-cosine's firstStepWarm runs SeCu's first warm-up step at lr / warm-up steps", async () => {
    const events = await runAll(
      testConfig({
        optimizer: { id: 'sgd', options: { lr: 0.2 } },
        schedule: { id: 'warmup-cosine', options: { frozenEpochs: 1, warmupEpochs: 3, firstStepWarm: true } },
        train: { epochs: 4, batchSize: 32, logEvery: 1 },
      }),
      testRegistry(),
    );
    const steps = events.flatMap((e) => (e.type === 'step' ? [e] : []));
    const n = steps.filter((e) => e.epoch === 0).length;
    expect(n).to.be.at.least(2);
    const lrs = steps.map((e) => e.lr);
    expect(lrs.slice(0, n)).to.deep.equal(new Array(n).fill(0)); // the frozen epoch
    // SeCu: lr * max(1, i) / (2n) for the i-th step after the frozen epoch.
    for (let i = 0; i < 2 * n; i++) expect(lrs[n + i], `warm-up step ${i}`).to.be.closeTo((0.2 * Math.max(1, i)) / (2 * n), 1e-12);
  });

  it('resolves services by token, with an error that says who provides a missing one', async () => {
    const r = createRegistry();
    expect(() => r.services.resolve(KMEANS)).to.throw(
      UnknownComponentError,
      "no service 'kmeans' is registered (it comes from @clusterflow/eval's register())",
    );
    const fake: KMeansService = async (x) => ({ labels: new Int32Array(x.shape[0]), centroids: new Float32Array(0), inertia: 0 });
    r.registrar('my-plugin').service(KMEANS, fake);
    expect(r.services.resolve(KMEANS)).to.equal(fake);
  });

  it('keeps registries apart', () => {
    const a = testRegistry();
    const b = createRegistry();
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
    const r = createRegistry();
    await loadPlugins(['clusterflow-plugin-example'], r);
    expect(r.list('objective').map((e) => [e.factory.id, e.origin])).to.deep.equal([['mutual-info', 'clusterflow-plugin-example']]);
  });

  it('loads a module by relative path against the base folder, with a default-export plugin', async () => {
    await writeFile(
      join(dir, 'local.mjs'),
      `export default { name: 'local-plugin', register(r) { r.metric({ id: 'zero', options: { safeParse: (v) => ({ success: true, data: v }) }, create: () => ({ id: 'zero', compute: () => 0 }) }); } };`,
    );
    const r = createRegistry();
    await loadPlugins(['./local.mjs'], r, dir);
    expect(r.list('metric').map((e) => e.origin)).to.deep.equal(['local-plugin']);
  });

  it('loading the same plugin again into a registry is a no-op, so a second run may name it too', async () => {
    await writeFile(
      join(dir, 'once.mjs'),
      `export function register(r) { r.metric({ id: 'zero', options: { safeParse: (v) => ({ success: true, data: v }) }, create: () => ({ id: 'zero', compute: () => 0 }) }); }`,
    );
    const r = createRegistry();
    await loadPlugins(['./once.mjs'], r, dir);
    await loadPlugins(['./once.mjs'], r, dir);
    await loadPlugins([join(dir, 'once.mjs')], r, '/');
    expect(r.list('metric').map((e) => e.factory.id)).to.deep.equal(['zero']);
  });

  it('a plugin that cannot be imported is an error naming it', async () => {
    const err = await loadPlugins(['clusterflow-plugin-missing'], createRegistry()).catch((e) => e);
    expect(err).to.be.instanceOf(PluginError);
    expect(err.message).to.contain("cannot load plugin 'clusterflow-plugin-missing'");
  });

  it('a module without register(...) is an error listing its exports', async () => {
    await writeFile(join(dir, 'empty.mjs'), 'export const version = 1;');
    const err = await loadPlugins(['./empty.mjs'], createRegistry(), dir).catch((e) => e);
    expect(err).to.be.instanceOf(PluginError);
    expect(err.message).to.contain("plugin './empty.mjs' exports no register(...) function (exports: version)");
  });

  it('a plugin whose register throws is an error naming it', async () => {
    await writeFile(join(dir, 'broken.mjs'), "export function register() { throw new Error('boom'); }");
    const err = await loadPlugins(['./broken.mjs'], createRegistry(), dir).catch((e) => e);
    expect(err).to.be.instanceOf(PluginError);
    expect(err.message).to.contain("plugin './broken.mjs' failed to register: boom");
  });
});
