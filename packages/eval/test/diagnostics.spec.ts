import { expect } from 'chai';
import { ClusterflowError } from '@clusterflow/core';
import { clusterDiagnostics } from '@clusterflow/eval';

describe('clusterDiagnostics', () => {
  it('reports a balanced clustering without a warning', () => {
    const d = clusterDiagnostics([0, 1, 2, 3, 0, 1, 2, 3], 4);
    expect(d.sizes).to.deep.equal([2, 2, 2, 2]);
    expect(d.entropy).to.be.closeTo(Math.log(4), 1e-12);
    expect(d.normalizedEntropy).to.be.closeTo(1, 1e-12);
    expect(d.emptyClusters).to.equal(0);
    expect(d.largestShare).to.equal(0.25);
    expect(d.warning).to.equal(undefined);
  });

  it('warns about empty clusters and names the counts', () => {
    const d = clusterDiagnostics([0, 0, 1, 1, 2, 2], 4);
    expect(d.emptyClusters).to.equal(1);
    expect(d.warning).to.match(/1 of 4 clusters are empty/);
    expect(d.entropy).to.be.closeTo(Math.log(3), 1e-12);
  });

  it('warns when one cluster holds more than 3x its share, configurably', () => {
    // k = 10: cluster 0 holds 31 of 40 (77.5% > 30%); the others are all non-empty.
    const ids = [...new Array(31).fill(0), 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const d = clusterDiagnostics(ids, 10);
    expect(d.largestShare).to.equal(31 / 40);
    expect(d.warning).to.match(/cluster 0 holds 31 of 40 samples \(77\.5%, more than 3x the uniform 10\.0%\)/);
    expect(clusterDiagnostics(ids, 10, { maxShareRatio: 8 }).warning).to.equal(undefined);
    const p = [0.775, ...new Array(9).fill(0.025)];
    expect(d.entropy).to.be.closeTo(-p.reduce((s, v) => s + v * Math.log(v), 0), 1e-12);
  });

  it('reports total collapse', () => {
    const d = clusterDiagnostics(new Int32Array(50), 5);
    expect(d.normalizedEntropy).to.equal(0);
    expect(d.warning).to.match(/4 of 5 clusters are empty; cluster 0 holds 50 of 50/);
  });

  it('rejects ids outside 0..k-1 and empty input', () => {
    expect(() => clusterDiagnostics([0, 5], 3)).to.throw(ClusterflowError, /clusters\[1\] is 5, not an id in 0..2/);
    expect(() => clusterDiagnostics([], 3)).to.throw(ClusterflowError, /empty/);
  });
});
