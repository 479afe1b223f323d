import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { Registry, loadRunConfig, selectBackend, tf, train, type CompleteEvent, type StepEvent } from '@clusterflow/core';
import { register as registerData } from '@clusterflow/data';
import { register as registerBackbones } from '@clusterflow/backbones';
import { register as registerEval } from '@clusterflow/eval';

const here = dirname(fileURLToPath(import.meta.url));

describe('a config naming a third-party plugin package', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('loads the plugin and trains its objective on real data, end to end', async () => {
    const registry = new Registry();
    registerData(registry.registrar('builtin:@clusterflow/data'));
    registerBackbones(registry.registrar('builtin:@clusterflow/backbones'));
    registerEval(registry.registrar('builtin:@clusterflow/eval'));
    expect(registry.has('objective', 'mutual-info')).to.equal(false);

    const configDir = join(here, 'configs');
    const config = await loadRunConfig(join(configDir, 'plugin-run.yaml'));
    const before = tf.memory().numTensors;
    const events = await lastValueFrom(train(config, { registry, baseDir: configDir }).pipe(toArray()));
    expect(tf.memory().numTensors).to.equal(before);

    expect(registry.list('objective').map((e) => e.origin)).to.deep.equal(['clusterflow-plugin-example']);
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    expect(steps).to.have.length(4);
    expect(steps[0].loss).to.have.keys('total', 'marginal', 'conditional', 'agree');
    const done = events[events.length - 1] as CompleteEvent;
    expect(done.summary.readouts.head).to.have.length(64);
    for (const m of ['acc', 'nmi', 'ari']) expect(done.summary.metrics[m], m).to.be.a('number').and.not.NaN;
    expect(done.summary.metrics.acc).to.be.within(0.1, 1);
  });
});
