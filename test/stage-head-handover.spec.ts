import { expect } from 'chai';
import { ConfigError, createRegistry, parseRunConfig, resolveRunConfig } from '@clusterflow/core';
import { register as registerData } from '@clusterflow/data';
import { register as registerBackbones } from '@clusterflow/backbones';
import { register as registerEval } from '@clusterflow/eval';
import { register as registerObjectives } from '@clusterflow/objectives';

function registry() {
  const r = createRegistry();
  registerData(r.registrar('data'));
  registerBackbones(r.registrar('backbones'));
  registerEval(r.registrar('eval'));
  registerObjectives(r.registrar('objectives'));
  return r;
}

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
    expect(() => resolveRunConfig(pipeline('simclr'), registry())).to.throw(
      ConfigError,
      "stage 'two' starts from the previous stage's cluster head, but the objectives of stage 'one' ('simclr') provide none",
    );
  });

  it('accepts it after SCAN and after self-labelling, whose heads are handed on', () => {
    for (const first of ['scan', 'self-label']) expect(() => resolveRunConfig(pipeline(first), registry()), first).not.to.throw();
  });
});
