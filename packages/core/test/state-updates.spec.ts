import { expect } from 'chai';
import { assignState, deferStateUpdates, selectBackend, stateValue, StateUpdates, tf } from '@clusterflow/core';

describe('state updates held back until a step is finite', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('outside a step, assignState assigns at once', () => {
    const v = tf.variable(tf.scalar(1), false);
    tf.tidy(() => assignState(v, tf.scalar(2)));
    expect(v.dataSync()[0]).to.equal(2);
    v.dispose();
  });

  it('inside a step, the variable keeps its value; a second update builds on the first, and commit lands the last', () => {
    const v = tf.variable(tf.scalar(1), false);
    const before = tf.memory().numTensors;
    const updates = new StateUpdates();
    deferStateUpdates(updates, () =>
      tf.tidy(() => {
        // Two forward passes of a running average with momentum 0.5 (BatchNorm on two views).
        assignState(v, tf.add(tf.mul(stateValue(v), 0.5), tf.mul(tf.scalar(3), 0.5)));
        assignState(v, tf.add(tf.mul(stateValue(v), 0.5), tf.mul(tf.scalar(5), 0.5)));
      }),
    );
    expect(v.dataSync()[0], 'unchanged until commit').to.equal(1);
    expect(updates.size).to.equal(1);
    updates.commit();
    expect(v.dataSync()[0]).to.equal(0.5 * (0.5 * 1 + 0.5 * 3) + 0.5 * 5);
    expect(tf.memory().numTensors).to.equal(before);
    v.dispose();
  });

  it('discard drops the pending values and frees them', () => {
    const v = tf.variable(tf.scalar(1), false);
    const before = tf.memory().numTensors;
    const updates = new StateUpdates();
    deferStateUpdates(updates, () => tf.tidy(() => assignState(v, tf.scalar(7))));
    updates.discard();
    expect(v.dataSync()[0]).to.equal(1);
    expect(tf.memory().numTensors).to.equal(before);
    v.dispose();
  });
});
