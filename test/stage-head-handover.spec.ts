import { expect } from 'chai';
import { ConfigError, parseRunConfig, resolveRunConfig } from '@clusterflow/core';
import { defaultRegistry } from '@clusterflow/bench';

/** A two-stage run: `first`, then self-labelling from its cluster head. */
function pipeline(first: string) {
  return parseRunConfig({
    data: { id: 'fashion-mnist' },
    stages: [
      { name: 'one', objective: [{ id: first }] },
      { name: 'two', objective: [{ id: 'self-label' }], head: 'previous' },
    ],
  });
}

describe('head: previous checked against the shipped objectives before stage 1 trains (issue 26, item 11)', () => {
  it('refuses self-labelling from SimCLR, which has no cluster head, naming both stages', () => {
    expect(() => resolveRunConfig(pipeline('simclr'), defaultRegistry())).to.throw(
      ConfigError,
      "stage 'two' starts from the previous stage's cluster head, but the objectives of stage 'one' ('simclr') provide none",
    );
  });

  it('accepts it after SCAN and after self-labelling, whose heads are handed on', () => {
    for (const first of ['scan', 'self-label']) expect(() => resolveRunConfig(pipeline(first), defaultRegistry()), first).not.to.throw();
  });
});
