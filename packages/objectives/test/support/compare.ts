// The comparison of the reference specs (ConCURL, SeCu, SCAN, self-label, Sinkhorn,
// log-sum-exp) against their PyTorch fixtures.
import { expect } from 'chai';

/**
 * Largest absolute difference relative to the largest expected magnitude
 * (elementwise relative error is meaningless for gradient entries near 0).
 * `floor` bounds the scale from below, for tensors that are analytically zero
 * (a bias before BatchNorm has no gradient: PyTorch gives 1e-16, float32 1e-8).
 * Returns that ratio so tests can report it.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string, floor = 0): number {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  let scale = floor;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  expect(Number.isFinite(worst), `${what}: finite`).to.equal(true);
  const ratio = worst / Math.max(scale, 1e-30);
  expect(ratio, `${what}: max |diff| ${worst} vs scale ${scale}`).to.be.at.most(rel);
  return ratio;
}
