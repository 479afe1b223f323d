import { expect } from 'chai';
import { disposeCheckpoint, readCheckpoint, tf } from '@clusterflow/core';

/** Asserts two checkpoint files hold the same arrays, bit for bit, and the same RNG state; returns their state keys. */
export async function expectSameCheckpoints(pathA: string, pathB: string): Promise<string[]> {
  const a = await readCheckpoint(pathA);
  const b = await readCheckpoint(pathB);
  try {
    const keys = Object.keys(a.state).sort();
    expect(Object.keys(b.state).sort()).to.deep.equal(keys);
    const values = (v: (typeof a.state)[string]) => Array.from(ArrayBuffer.isView(v) ? v : (v as tf.Tensor).dataSync());
    for (const k of keys) expect(values(b.state[k]), k).to.deep.equal(values(a.state[k]));
    expect(b.meta.rng).to.deep.equal(a.meta.rng);
    return keys;
  } finally {
    disposeCheckpoint(a);
    disposeCheckpoint(b);
  }
}
