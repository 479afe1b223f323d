// Where a training step's time goes: batch gather, augmentation, forward+backward.
// Usage: tsx scripts/profile-step.ts [backbone] [objective]
import { buildRun, parseRunConfig, createRegistry, resolveRunConfig, selectBackend, tf } from '@clusterflow/core';
import { register as data } from '@clusterflow/data';
import { register as backbones } from '@clusterflow/backbones';
import { register as evaluation } from '@clusterflow/eval';
import { register as objectives } from '@clusterflow/objectives';

const [bb = 'mlp', obj = 'simclr'] = process.argv.slice(2);
const registry = createRegistry();
for (const [name, reg] of Object.entries({ data, backbones, evaluation, objectives })) reg(registry.registrar(name));
await selectBackend('wasm');
const cfg = resolveRunConfig(
  parseRunConfig({
    name: 'p',
    seed: 0,
    backend: 'wasm',
    data: { id: 'fashion-mnist', options: {} },
    augmentation: { id: 'multi-view', options: { views: 2 } },
    backbone: { id: bb, options: {} },
    objective: [{ id: obj }],
    optimizer: { id: 'adam', options: { lr: 1e-3 } },
    train: { epochs: 1, batchSize: 256 },
  }),
  registry,
);
const run = await buildRun(cfg, registry, process.cwd());
const B = 256;
const idx = () => Int32Array.from({ length: B }, () => Math.floor(Math.random() * run.dataset.size));
const time = async (label: string, n: number, f: () => Promise<void> | void) => {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f();
  console.log(label, ((performance.now() - t0) / n).toFixed(1), 'ms');
};
await time('gather', 10, async () => {
  const x = run.dataset.batch(idx());
  await x.data();
  x.dispose();
});
await time('gather+aug', 10, async () => {
  const x = run.dataset.batch(idx());
  const v = run.augmentation.views(x, run.rng);
  await Promise.all(v.map((t) => t.data()));
  tf.dispose([x, ...v]);
});
const vars = run.backbone.variables();
const optimizerless = async (views: () => tf.Tensor[]) => {
  const { value, grads } = tf.tidy(() => {
    const vs = views();
    return tf.variableGrads(
      () => run.objective.loss({ indices: idx(), epoch: 1, step: 1, views: vs.map((v) => run.backbone.apply(v, true)) }).total as tf.Scalar,
      vars,
    );
  });
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
};
await time('fwd+bwd (no aug)', 10, () =>
  optimizerless(() => {
    const x = run.dataset.batch(idx());
    return [x, tf.clone(x)];
  }),
);
await time('fwd+bwd (aug)', 10, () => optimizerless(() => run.augmentation.views(run.dataset.batch(idx()), run.rng)));
