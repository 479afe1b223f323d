import { expect } from 'chai';
import { selectBackend, tf } from '@clusterflow/core';

describe('backend selection', () => {
  after(async () => {
    await selectBackend('cpu');
  });

  it('auto passes over missing native bindings and says what it tried', async () => {
    const sel = await selectBackend('auto');
    expect(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']).to.include(sel.name);
    expect(tf.getBackend()).to.equal(sel.tfBackend);
    expect(sel.summary).to.match(new RegExp(`^backend: ${sel.name}`));
    // Everything tried before the choice has a reason; on a machine without the
    // native bindings installed, they show up as "not installed".
    for (const t of sel.tried) expect(t.reason).to.be.a('string').and.not.empty;
    expect(sel.tried.map((t) => t.name)).to.deep.equal(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'].slice(0, sel.tried.length));
  });

  it('selects cpu and wasm by name', async () => {
    expect((await selectBackend('cpu')).name).to.equal('cpu');
    expect(tf.getBackend()).to.equal('cpu');
    expect((await selectBackend('wasm')).name).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
  });

  it('a backend asked for by name that cannot load is an error naming it', async () => {
    let err: Error | undefined;
    try {
      await selectBackend('tensorflow');
    } catch (e) {
      err = e as Error;
    }
    // Where tfjs-node is installed this passes trivially by selecting it.
    if (err) expect(err.message).to.contain('@tensorflow/tfjs-node');
    else expect(tf.getBackend()).to.equal('tensorflow');
  });
});
