import { expect } from 'chai';
import { Rng } from '@clusterflow/core';

describe('Rng', () => {
  it('repeats a sequence from the same seed and differs across seeds', () => {
    const a = new Rng(7),
      b = new Rng(7),
      c = new Rng(8);
    const sa = Array.from({ length: 5 }, () => a.nextUint32());
    const sb = Array.from({ length: 5 }, () => b.nextUint32());
    const sc = Array.from({ length: 5 }, () => c.nextUint32());
    expect(sa).to.deep.equal(sb);
    expect(sa).to.not.deep.equal(sc);
  });

  it('resumes exactly from a saved state', () => {
    const a = new Rng(3);
    a.float();
    const saved = a.getState();
    const next = [a.float(), a.int(100), a.normal()];
    const b = new Rng(0);
    b.setState(saved);
    expect([b.float(), b.int(100), b.normal()]).to.deep.equal(next);
  });

  it('draws floats in [0, 1) with a mean near one half', () => {
    const r = new Rng(1);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = r.float();
      expect(x).to.be.at.least(0).and.below(1);
      sum += x;
    }
    expect(sum / 10000).to.be.closeTo(0.5, 0.02);
  });

  it('makes permutations that contain every index once', () => {
    const p = Array.from(new Rng(5).permutation(100)).sort((x, y) => x - y);
    expect(p).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
  });
});
