import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { createRegistry, loadRunConfig, selectBackend, tf, train, type CompleteEvent, type StepEvent } from '@clusterflow/core';
import { register as registerData } from '@clusterflow/data';
import { register as registerBackbones } from '@clusterflow/backbones';
import { register as registerEval } from '@clusterflow/eval';

const here = dirname(fileURLToPath(import.meta.url));
const silent = { info: () => {}, warn: () => {} };

describe('a config naming a third-party plugin package', () => {
  let out: string;
  before(async () => {
    await selectBackend('wasm');
    out = await mkdtemp(join(tmpdir(), 'cf-plugin-run-'));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('loads the plugin and trains with its objective (k-means injected), its transform and its hook, end to end, twice on one registry', async () => {
    const registry = createRegistry();
    registerData(registry.registrar('builtin:@clusterflow/data'));
    registerBackbones(registry.registrar('builtin:@clusterflow/backbones'));
    registerEval(registry.registrar('builtin:@clusterflow/eval'));
    expect(registry.has('objective', 'mutual-info')).to.equal(false);

    const configDir = join(here, 'fixtures');
    const loaded = await loadRunConfig(join(configDir, 'plugin-run.yaml'));
    const historyFile = join(out, 'loss-history.json');
    const config = { ...loaded, hooks: [{ id: 'loss-history', options: { path: historyFile } }] };
    const before = tf.memory().numTensors;
    const events = await lastValueFrom(train(config, { registry, baseDir: configDir, logger: silent }).pipe(toArray()));
    expect(tf.memory().numTensors).to.equal(before);

    const origins = (kind: 'objective' | 'transform' | 'hook') =>
      registry
        .list(kind)
        .filter((e) => e.origin === 'clusterflow-plugin-example')
        .map((e) => e.factory.id);
    expect(origins('objective')).to.deep.equal(['mutual-info']);
    expect(origins('transform')).to.deep.equal(['invert']);
    expect(origins('hook')).to.deep.equal(['loss-history']);
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    expect(steps).to.have.length(4);
    expect(steps[0].loss).to.have.keys('total', 'marginal', 'conditional', 'agree');
    const done = events[events.length - 1] as CompleteEvent;
    expect(done.summary.readouts.head).to.have.length(64);
    expect(done.summary.readouts.kmeans).to.have.length(64);
    for (const m of ['acc', 'nmi', 'ari', 'kmeans/acc']) expect(done.summary.metrics[m], m).to.be.a('number').and.not.NaN;
    expect(done.summary.metrics.acc).to.be.within(0.1, 1);
    const history = JSON.parse(await readFile(historyFile, 'utf8')) as { epoch: number; loss: number }[];
    expect(history.map((h) => h.epoch)).to.deep.equal([0, 1]);
    expect(history[1].loss).to.be.closeTo(steps.filter((s) => s.epoch === 1).reduce((a, s) => a + s.loss.total, 0) / 2, 1e-5);

    // The same registry again: the plugin is already loaded, which is no error.
    const again = await lastValueFrom(train(config, { registry, baseDir: configDir, logger: silent }).pipe(toArray()));
    expect((again[again.length - 1] as CompleteEvent).summary.metrics).to.deep.equal(done.summary.metrics);
  });
});
