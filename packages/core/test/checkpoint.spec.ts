import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError,
  copyCheckpoint,
  disposeCheckpoint,
  peekCheckpointMeta,
  readCheckpoint,
  readCheckpointMeta,
  selectBackend,
  tf,
  writeCheckpoint,
  type Checkpoint,
} from '@clusterflow/core';

const meta = { epoch: 3, step: 30, rng: [1, 2, 3, 4], configHash: 'abc', backend: 'cpu', createdAt: '2026-01-01T00:00:00Z' };

describe('checkpoints', () => {
  let dir: string;
  before(async () => {
    await selectBackend('cpu');
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-ckpt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeSample(path: string) {
    const w = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const ids = tf.tensor1d([7, 8], 'int32');
    await writeCheckpoint(path, {
      meta,
      state: { 'backbone/w': w, 'objective/ids': ids, 'objective/labels': Int32Array.of(3, 1, 2), 'objective/duals': Float32Array.of(0.5, 0.25) },
    });
    tf.dispose([w, ids]);
  }

  it('round-trips tensors, host arrays and metadata exactly', async () => {
    const path = join(dir, 'a.ckpt');
    await writeSample(path);
    const before = tf.memory().numTensors;
    const ck = await readCheckpoint(path);
    expect(ck.meta).to.deep.equal(meta);
    const w = ck.state['backbone/w'] as tf.Tensor;
    expect(w.shape).to.deep.equal([2, 3]);
    expect(Array.from(w.dataSync())).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect((ck.state['objective/ids'] as tf.Tensor).dtype).to.equal('int32');
    expect(ck.state['objective/labels'])
      .to.be.instanceOf(Int32Array)
      .and.deep.equal(Int32Array.of(3, 1, 2));
    expect(ck.state['objective/duals']).to.be.instanceOf(Float32Array).and.deep.equal(Float32Array.of(0.5, 0.25));
    disposeCheckpoint(ck);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('refuses a truncated file, saying expected and found sizes', async () => {
    const path = join(dir, 'a.ckpt');
    await writeSample(path);
    const size = (await readFile(path)).length;
    await truncate(path, size - 10);
    const err = await readCheckpoint(path).catch((e) => e);
    expect(err).to.be.instanceOf(CheckpointError);
    expect(err.message)
      .to.contain('truncated')
      .and.contain(`expected ${size} bytes, found ${size - 10}`);
  });

  it('refuses a file cut inside its header', async () => {
    const path = join(dir, 'a.ckpt');
    await writeSample(path);
    await truncate(path, 30);
    const err = await readCheckpoint(path).catch((e) => e);
    expect(err).to.be.instanceOf(CheckpointError);
    expect(err.message).to.contain('truncated');
  });

  it('refuses a file whose bytes were changed', async () => {
    const path = join(dir, 'a.ckpt');
    await writeSample(path);
    const bytes = await readFile(path);
    bytes[bytes.length - 40] ^= 0xff; // inside the array data
    await writeFile(path, bytes);
    const err = await readCheckpoint(path).catch((e) => e);
    expect(err).to.be.instanceOf(CheckpointError);
    expect(err.message).to.contain('checksum');
  });

  it('refuses a foreign file', async () => {
    const path = join(dir, 'model.json');
    await writeFile(path, JSON.stringify({ weights: [1, 2, 3] }));
    const err = await readCheckpoint(path).catch((e) => e);
    expect(err).to.be.instanceOf(CheckpointError);
    expect(err.message).to.contain('not a clusterflow checkpoint');
  });

  it('peeks at the meta from the header alone: the arrays are neither read nor checked', async () => {
    const path = join(dir, 'a.ckpt');
    await writeSample(path);
    expect(await peekCheckpointMeta(path)).to.deep.equal(meta);
    // Damaged arrays: the checked read refuses the file, the peek still orders it.
    const bytes = await readFile(path);
    bytes[bytes.length - 40] ^= 0xff;
    await writeFile(path, bytes);
    expect((await readCheckpointMeta(path).catch((e) => e)).message).to.contain('checksum');
    expect(await peekCheckpointMeta(path)).to.deep.equal(meta);
  });

  it('peeks only at checkpoints: a foreign file, one cut inside its header, one with a damaged length and a missing one are refused by name', async () => {
    const foreign = join(dir, 'model.json');
    // Its bytes 18-21 read as a header length of 540 MB: refused on the magic bytes before that is read.
    await writeFile(foreign, JSON.stringify({ weights: [1, 2, 3] }).padEnd(64, ' '));
    const cut = join(dir, 'cut.ckpt');
    await writeSample(cut);
    await truncate(cut, 30);
    // A damaged length (4 GB) after good magic bytes: refused as truncated, and no more than the file is read.
    const long = join(dir, 'long.ckpt');
    await writeSample(long);
    const bytes = await readFile(long);
    bytes.fill(0xff, 18, 22);
    await writeFile(long, bytes);
    for (const [path, reason] of [
      [foreign, 'not a clusterflow checkpoint'],
      [cut, 'truncated'],
      [long, `header needs ${18 + 4 + 0xffffffff} bytes, file has ${bytes.length}`],
      [join(dir, 'missing.ckpt'), 'cannot read checkpoint'],
    ]) {
      const err = await peekCheckpointMeta(path).catch((e) => e);
      expect(err, path).to.be.instanceOf(CheckpointError);
      expect(err.message).to.contain(reason).and.contain(path);
    }
  });

  it('never leaves a half-written file: a failed write keeps the previous checkpoint intact and no temporary file behind', async () => {
    const path = join(dir, 'last.ckpt');
    await writeSample(path);
    const good = await readFile(path);
    const bad = tf.tensor1d([true, false], 'bool');
    const failing: Checkpoint = { meta, state: { 'backbone/w': tf.zeros([2]), 'backbone/mask': bad } };
    const err = await writeCheckpoint(path, failing).catch((e) => e);
    tf.dispose(Object.values(failing.state) as tf.Tensor[]);
    expect(err).to.be.instanceOf(CheckpointError);
    expect(err.message).to.contain("'backbone/mask'");
    expect((await readFile(path)).equals(good)).to.equal(true);
    expect(await readdir(dir)).to.deep.equal(['last.ckpt']);
  });

  it('copies a checkpoint into place whole, leaving no temporary file', async () => {
    const src = join(dir, 'epoch-0001.ckpt');
    await writeSample(src);
    await copyCheckpoint(src, join(dir, 'last.ckpt'));
    expect((await readFile(join(dir, 'last.ckpt'))).equals(await readFile(src))).to.equal(true);
    expect((await readdir(dir)).sort()).to.deep.equal(['epoch-0001.ckpt', 'last.ckpt']);
  });

  it('replaces a checkpoint by rename, so a reader sees the old or the new file whole', async () => {
    const path = join(dir, 'last.ckpt');
    await writeSample(path);
    const w = tf.tensor1d([9]);
    await writeCheckpoint(path, { meta: { ...meta, epoch: 4 }, state: { 'backbone/w': w } });
    w.dispose();
    const ck = await readCheckpoint(path);
    expect(ck.meta.epoch).to.equal(4);
    expect(Object.keys(ck.state)).to.deep.equal(['backbone/w']);
    disposeCheckpoint(ck);
    expect(await readdir(dir)).to.deep.equal(['last.ckpt']);
  });
});
