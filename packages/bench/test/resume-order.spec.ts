import { expect } from 'chai';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCheckpoint, type CheckpointMeta } from '@clusterflow/core';
import { checkpointsOf } from '../src/run/resume-check.js';
import { tempDir } from './support/files.js';

const meta = (stage: number, epoch: number, stepInEpoch = 0): CheckpointMeta => ({
  stage,
  epoch,
  stepInEpoch,
  step: 0,
  rng: [1, 2, 3, 4],
  configHash: 'h',
  backend: 'cpu',
  createdAt: '2026-12-07T00:00:00.000Z',
});

describe("a run folder's checkpoints are ordered by the progress they record, not by file times", () => {
  it('puts last.ckpt first, then later stages and epochs before earlier ones, and unreadable files last', async () => {
    const dir = await tempDir();
    const files: [string, CheckpointMeta][] = [
      ['a-epoch-0002.ckpt', meta(0, 2)],
      ['a-epoch-0010.ckpt', meta(0, 10)],
      ['b-epoch-0001.ckpt', meta(1, 1)],
      ['last.ckpt', meta(1, 1, 5)],
    ];
    for (const [f, m] of files) await writeCheckpoint(join(dir, f), { meta: m, state: { w: new Float32Array(2) } });
    await writeFile(join(dir, 'z-epoch-0003.ckpt'), 'not a checkpoint');
    // As a copy leaves them: the oldest checkpoint the newest file, the newest the oldest.
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await utimes(join(dir, 'a-epoch-0002.ckpt'), at(50), at(50));
    await utimes(join(dir, 'a-epoch-0010.ckpt'), at(40), at(40));
    await utimes(join(dir, 'b-epoch-0001.ckpt'), at(10), at(10));
    await utimes(join(dir, 'last.ckpt'), at(0), at(0));
    const order = (await checkpointsOf(dir)).map((p) => p.slice(dir.length + 1));
    expect(order).to.deep.equal(['last.ckpt', 'b-epoch-0001.ckpt', 'a-epoch-0010.ckpt', 'a-epoch-0002.ckpt', 'z-epoch-0003.ckpt']);
  });

  it('gives nothing for a folder that is not there', async () => {
    expect(await checkpointsOf(join(await tempDir(), 'none'))).to.deep.equal([]);
  });
});
