import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunConfig, resolveRunConfig, runTraining } from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';

describe('a minimal run config: data and objective only', () => {
  it("fills in the dataset's augmentation and backbone, Adam at 3e-4 and the training defaults", () => {
    const cfg = resolveRunConfig(parseRunConfig({ data: { id: 'fashion-mnist' }, objective: [{ id: 'cc' }] }), defaultRegistry());
    expect(cfg.augmentation).to.deep.equal({ id: 'multi-view', options: { views: 2 } });
    expect(cfg.backbone).to.deep.equal({ id: 'mlp', options: { featureDim: 128, batchNorm: true } });
    expect(cfg.optimizer).to.deep.equal({ id: 'adam', options: { lr: 3e-4 } });
    expect(cfg.schedule.id).to.equal('constant');
    expect(cfg.train).to.include({ epochs: 10, batchSize: 256 });
    expect(cfg.backend).to.equal('auto');
    expect(cfg.eval.metrics).to.deep.equal(['acc', 'nmi', 'ari']);
  });

  it('trains, end to end, on a vectors file (two views of the identity augmentation, the MLP)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-minimal-'));
    try {
      // 300 vectors in three blobs: one batch of 256 an epoch.
      let s = 7;
      const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
      const data = Array.from({ length: 300 }, (_, i) => Array.from({ length: 8 }, (_, d) => (d % 3 === i % 3 ? 3 : 0) + 0.3 * rand()));
      const labels = data.map((_, i) => i % 3);
      await writeFile(join(dir, 'blobs.json'), JSON.stringify({ data, labels }));
      const summary = await runTraining(
        { data: { id: 'vectors', options: { path: 'blobs.json' } }, objective: [{ id: 'cc' }] },
        { registry: defaultRegistry(), baseDir: dir, logger: { info: () => {}, warn: () => {} } },
      );
      expect(summary?.end.kind).to.equal('completed');
      expect(summary?.epochsDone).to.equal(10);
      expect(summary?.steps).to.equal(10);
      expect(summary?.metrics.acc).to.be.within(0, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
