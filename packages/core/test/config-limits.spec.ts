import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseRunConfig, readCheckpoint } from '@clusterflow/core';
import { testConfig, testRegistry } from './support/components.js';
import { runError } from './support/run.js';

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  return expect.fail('nothing was thrown');
}

describe('config mistakes found before anything runs (issue 26, item 11)', () => {
  it('refuses a seed the RNG cannot tell apart (it takes 32 bits) or cannot represent', () => {
    for (const seed of [2 ** 32, 2 ** 53 + 1, 1e20]) {
      const err = thrown(() => parseRunConfig(testConfig({ seed })));
      expect(err, String(seed)).to.be.instanceOf(ConfigError);
      expect(err.message).to.include('seed');
    }
    expect(parseRunConfig(testConfig({ seed: 2 ** 32 - 1 })).seed).to.equal(2 ** 32 - 1);
  });

  it("refuses `head: previous` on a first stage, which has no previous stage's head", () => {
    const stages = [{ name: 'one', objective: [{ id: 'prototypes' }], head: 'previous' }];
    const err = thrown(() => parseRunConfig(testConfig({ objective: undefined, stages })));
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.include('stages.0.head');
  });
});

describe('numClusters the data can fill (issue 26, item 11)', () => {
  it('refuses more clusters than samples before a step, naming both', async () => {
    const err = await runError(testConfig({ numClusters: 5000, data: { id: 'blobs', options: { n: 96 } } }), testRegistry());
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.include('numClusters is 5000').and.include('96 samples');
  });
});

describe('checkpoint errors say what is wrong (issue 26, item 12)', () => {
  it('a file with the right header that is cut short is truncated, not of bad magic', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-ckpt-short-'));
    try {
      const path = join(dir, 'short.ckpt');
      await writeFile(path, Buffer.concat([Buffer.from('CLUSTERFLOW-CKPT\x01\n'), Buffer.from([1, 2])]));
      const err = await readCheckpoint(path).then(
        () => expect.fail('read'),
        (e: Error) => e,
      );
      expect(err.message).to.include('truncated');
      expect(err.message).to.not.include('magic');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
