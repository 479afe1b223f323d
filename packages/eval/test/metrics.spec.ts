import { expect } from 'chai';
import { ClusterflowError, createRegistry, ShapeError } from '@clusterflow/core';
import { ari, clusterAccuracy, confusionMatrix, matchClusters, nmi, purity, register } from '@clusterflow/eval';
import { fixture } from './support/fixtures.js';

interface Case {
  name: string;
  labels: number[];
  clusters: number[];
  acc: number;
  nmi: number;
  ari: number;
  purity: number;
  classes: number[];
  clusterIds: number[];
  contingency: number[][];
}

const cases = fixture<Case[]>('metrics.json');

describe('clustering metrics against scikit-learn / scipy', () => {
  it('has at least 20 reference labelings', () => {
    expect(cases.length).to.be.at.least(20);
  });

  for (const c of cases) {
    describe(`${c.name} (n=${c.labels.length})`, () => {
      it('ACC equals scipy linear_sum_assignment', () => {
        expect(clusterAccuracy(c.labels, c.clusters)).to.be.closeTo(c.acc, 1e-9);
      });
      it('NMI equals normalized_mutual_info_score', () => {
        expect(nmi(c.labels, c.clusters)).to.be.closeTo(c.nmi, 1e-9);
      });
      it('ARI equals adjusted_rand_score', () => {
        expect(ari(c.labels, c.clusters)).to.be.closeTo(c.ari, 1e-9);
      });
      it('purity and the confusion matrix equal contingency_matrix', () => {
        expect(purity(c.labels, c.clusters)).to.be.closeTo(c.purity, 1e-9);
        const cm = confusionMatrix(Int32Array.from(c.labels), c.clusters);
        expect(cm.classes).to.deep.equal(c.classes);
        expect(cm.clusters).to.deep.equal(c.clusterIds);
        expect(cm.counts).to.deep.equal(c.contingency);
      });
    });
  }
});

describe('ACC versus purity', () => {
  it('maps clusters one-to-one: surplus clusters count as errors, unlike purity', () => {
    const labels = [0, 0, 0, 0, 1, 1];
    const clusters = [0, 0, 1, 1, 2, 2];
    expect(clusterAccuracy(labels, clusters)).to.equal(4 / 6);
    expect(purity(labels, clusters)).to.equal(1);
    const m = matchClusters(labels, clusters);
    expect(m.correct).to.equal(4);
    expect(m.mapping.size).to.equal(2);
    expect(m.mapping.get(2)).to.equal(1);
  });

  it('matches arbitrary ids and returns the mapping', () => {
    const m = matchClusters([7, 7, -3, -3, -3], [100, 100, 5, 5, 100]);
    expect(Array.from(m.mapping.entries()).sort()).to.deep.equal(
      [
        [100, 7],
        [5, -3],
      ].sort(),
    );
    expect(m.accuracy).to.equal(4 / 5);
  });
});

describe('metric input errors', () => {
  const fns = { clusterAccuracy, nmi, ari, purity, confusionMatrix };
  for (const [name, fn] of Object.entries(fns)) {
    it(`${name} rejects length mismatch, empty input and non-integer ids`, () => {
      expect(() => fn([0, 1, 1], [0, 1])).to.throw(ShapeError, /labels: 3, clusters: 2/);
      expect(() => fn([], [])).to.throw(ShapeError, /empty/);
      expect(() => fn([0, NaN], [0, 1])).to.throw(ClusterflowError, /labels\[1\] is NaN/);
      expect(() => fn([0, 1], [0, 0.5])).to.throw(ClusterflowError, /clusters\[1\] is 0.5/);
    });
  }
});

describe('registered metrics', () => {
  it("registers 'acc', 'nmi', 'ari' and 'purity' that compute the same values", () => {
    const registry = createRegistry();
    register(registry.registrar('builtin:@clusterflow/eval'));
    const c = cases.find((x) => x.name.startsWith('noisy n=100'))!;
    const expected: Record<string, number> = { acc: c.acc, nmi: c.nmi, ari: c.ari, purity: c.purity };
    for (const id of ['acc', 'nmi', 'ari', 'purity']) {
      const factory = registry.get('metric', id);
      const metric = factory.create(factory.options.parse(undefined), {});
      expect(metric.id).to.equal(id);
      expect(metric.compute(c.labels, c.clusters)).to.be.closeTo(expected[id], 1e-9);
    }
    expect(
      registry
        .list('metric')
        .map((e) => e.factory.id)
        .sort(),
    ).to.deep.equal(['acc', 'ari', 'nmi', 'purity']);
  });

  it('rejects unknown options', () => {
    const registry = createRegistry();
    register(registry.registrar('builtin:@clusterflow/eval'));
    expect(() => registry.get('metric', 'acc').options.parse({ average: 'max' })).to.throw();
  });
});
