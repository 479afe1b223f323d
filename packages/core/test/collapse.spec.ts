import { expect } from 'chai';
import { collapseWarning, countClusters } from '@clusterflow/core';

describe('collapse warning', () => {
  it('is silent for balanced sizes', () => {
    expect(collapseWarning([10, 12, 9, 11])).to.equal(undefined);
  });

  it('names empty clusters and the cluster holding too much', () => {
    expect(collapseWarning([0, 0, 40, 2])).to.equal(
      'possible cluster collapse: 2 of 4 clusters are empty; cluster 2 holds 40 of 42 samples (95.2%, more than 3x the uniform 25.0%)',
    );
  });

  it('fires when every sample lands in one cluster', () => {
    expect(collapseWarning(countClusters(new Int32Array(100).fill(3), 10))).to.match(/9 of 10 clusters are empty; cluster 3 holds 100 of 100/);
  });

  it('counts cluster sizes, growing past k for ids beyond it', () => {
    expect(countClusters([0, 2, 2, 1], 3)).to.deep.equal([1, 1, 2]);
    expect(countClusters([4], 2)).to.deep.equal([0, 0, 0, 0, 1]);
  });
});
