import { expect } from 'chai';
import { Rng, selectBackend, tf } from '@clusterflow/core';
import { dataRegistry } from './support/registry.js';

// What a run gets when its config names no augmentation or backbone.
describe('dataset defaults', () => {
  const registry = dataRegistry();
  before(() => selectBackend('cpu'));

  const expected: Record<string, { augmentation: string; backbone: unknown }> = {
    'fashion-mnist': { augmentation: 'multi-view', backbone: { id: 'mlp', options: { featureDim: 128, batchNorm: true } } },
    idx: { augmentation: 'multi-view', backbone: { id: 'mlp', options: { featureDim: 128, batchNorm: true } } },
    cifar10: { augmentation: 'multi-view', backbone: { id: 'resnet18-cifar' } },
    cifar100: { augmentation: 'multi-view', backbone: { id: 'resnet18-cifar' } },
    'image-folder': { augmentation: 'multi-view', backbone: { id: 'convnet' } },
    vectors: { augmentation: 'identity', backbone: { id: 'mlp', options: { featureDim: 128, batchNorm: true } } },
  };

  it('every dataset names two views and a backbone that fits its samples', () => {
    const datasets = registry.list('dataset').map((e) => e.factory);
    expect(datasets.map((f) => f.id).sort()).to.deep.equal(Object.keys(expected).sort());
    for (const f of datasets) {
      const d = f.defaults!;
      expect(d.augmentation, f.id).to.deep.equal({ id: expected[f.id].augmentation, options: { views: 2 } });
      expect(d.backbone, f.id).to.deep.equal(expected[f.id].backbone);
      expect(() => registry.options('augmentation', d.augmentation!), f.id).to.not.throw();
    }
  });

  for (const [id, sampleShape] of [
    ['fashion-mnist', [28, 28, 1]],
    ['cifar10', [32, 32, 3]],
    ['vectors', [16]],
  ] as const) {
    it(`${id}: the default augmentation builds for [${sampleShape}] and gives two views`, () => {
      const ref = registry.get('dataset', id).defaults!.augmentation!;
      const aug = registry.build('augmentation', ref, { sampleShape, registry });
      const x = tf.fill([2, ...sampleShape], 0.5);
      const views = aug.views(x, new Rng(0));
      expect(views.map((v) => v.shape)).to.deep.equal([x.shape, x.shape]);
      tf.dispose([x, ...views]);
    });
  }
});
