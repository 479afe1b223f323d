import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@clusterflow/core';
import { gatherBenches, packRunFolder, parseQueueUrl, readRunRecord, unpackRunFiles, writeRunRecord, type RunResult } from '@clusterflow/bench';
import { createQueueDisplay } from '../src/queue/queue-display.js';
import { LOCK_FILE } from '../src/run/out-lock.js';
import { capture } from './support/cli.js';
import { tempDir } from './support/files.js';

describe('queue parts', () => {
  describe('parseQueueUrl', () => {
    it('reads host, port, database and credentials; commands wait for a Redis that went away', () => {
      expect(parseQueueUrl('redis://10.1.2.3:6380/2')).to.deep.equal({
        connection: { host: '10.1.2.3', port: 6380, db: 2, maxRetriesPerRequest: null },
        display: 'redis://10.1.2.3:6380/2',
      });
      const withPassword = parseQueueUrl('redis://bench:s%40cret@redis.lab');
      expect(withPassword.connection).to.include({ host: 'redis.lab', port: 6379, username: 'bench', password: 's@cret' });
      expect(withPassword.display).to.equal('redis://redis.lab:6379');
      expect(parseQueueUrl('redis://[::1]:7000').connection).to.include({ host: '::1', port: 7000 });
    });

    it('refuses what is not a redis:// URL, naming it', () => {
      expect(() => parseQueueUrl('localhost:6379')).to.throw(ConfigError, /only redis:\/\/ URLs.*localhost:6379/);
      expect(() => parseQueueUrl('not a url')).to.throw(ConfigError, /expected redis:\/\/host:port \(got 'not a url'\)/);
      expect(() => parseQueueUrl('redis://host:6379/queue')).to.throw(ConfigError, /must be a database number/);
    });
  });

  describe('run files through the queue', () => {
    it('packs the files of a run folder (not its checkpoints) and unpacks them byte for byte', async () => {
      const dir = await tempDir();
      await writeFile(join(dir, 'assignments.csv'), 'index,label,cluster\n0,1,2\n');
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255, 1, 2]);
      await writeFile(join(dir, 'samples.png'), png);
      await mkdir(join(dir, 'checkpoints'));
      await writeFile(join(dir, 'checkpoints', 'last.ckpt'), 'weights');
      const files = await packRunFolder(dir);
      expect(files.map((f) => f.name)).to.deep.equal(['assignments.csv', 'samples.png']);
      const to = await tempDir();
      await unpackRunFiles(to, files);
      expect(await readFile(join(to, 'assignments.csv'), 'utf8')).to.equal('index,label,cluster\n0,1,2\n');
      expect(Buffer.compare(await readFile(join(to, 'samples.png')), png)).to.equal(0);
    });

    it('refuses a file name that would leave the run folder', async () => {
      const to = await tempDir();
      for (const name of ['../escape.txt', '..', '.hidden', 'a/b']) {
        let err: Error | undefined;
        await unpackRunFiles(to, [{ name, gzip: '' }]).catch((e: Error) => (err = e));
        expect(err?.message, name).to.include(`refusing to write '${name}'`);
      }
    });
  });

  describe('the record a worker leaves beside its checkpoints', () => {
    const result = { name: 'cc', stepLoss: [{ step: 0, epoch: 0, total: 1 }] } as unknown as RunResult;

    it('names its checkpoint relative to the folder, so the shared folder may be mounted anywhere', async () => {
      const dir = await tempDir();
      await writeFile(join(dir, 'epoch-0002.ckpt'), 'x');
      writeRunRecord(dir, { checkpoint: 'epoch-0002.ckpt', epoch: 2, step: 24, worker: 'a/1', result });
      const moved = `${dir}-moved`;
      await rm(moved, { recursive: true, force: true });
      await mkdir(moved);
      await writeFile(join(moved, 'epoch-0002.ckpt'), 'x');
      await writeFile(join(moved, 'record.json'), await readFile(join(dir, 'record.json')));
      const saved = await readRunRecord(moved);
      expect(saved?.path).to.equal(join(moved, 'epoch-0002.ckpt'));
      expect(saved?.record).to.deep.include({ epoch: 2, step: 24, worker: 'a/1', result });
    });

    it('is passed over when its checkpoint is gone, and absent when none was written: the run starts again', async () => {
      const dir = await tempDir();
      expect(await readRunRecord(dir)).to.equal(undefined);
      writeRunRecord(dir, { checkpoint: 'epoch-0002.ckpt', epoch: 2, step: 24, worker: 'a/1', result });
      expect(await readRunRecord(dir)).to.equal(undefined);
    });
  });
  describe('the display of a queued bench', () => {
    const result = {
      name: 'cc',
      seed: 0,
      status: 'ok',
      backend: 'cpu',
      epochs: 10,
      epochsDone: 10,
      wallSeconds: 3,
      imagesPerSec: 100,
      metrics: { acc: 0.5 },
    } as unknown as RunResult;
    const running = (worker: string, resumedAt?: number) => ({
      label: '1/1 cc-seed0',
      state: 'running' as const,
      progress: { worker, backend: 'cpu', epoch: 3, epochs: 10, step: 30, resumedAt },
    });

    it('tells a takeover once, whether a poll saw the new worker running or only the run done', () => {
      const takenOver = {
        ...result,
        worker: { id: 'h/2' },
        takeovers: [{ worker: 'h/2', checkpoint: 'epoch-0003.ckpt', epoch: 3, step: 30 }],
      } as unknown as RunResult;
      const done = { label: '1/1 cc-seed0', state: 'done' as const, result: takenOver };
      for (const polls of [
        [running('h/1'), running('h/2', 3), done],
        [running('h/1'), done],
      ]) {
        const out = capture();
        const display = createQueueDisplay(out);
        for (const v of polls) display.update([v]);
        const told = out
          .text()
          .split('\n')
          .filter((l) => l.includes('continues it from epoch 3'));
        expect(told, out.text()).to.deep.equal(['[1/1 cc-seed0] h/2 (cpu) continues it from epoch 3']);
      }
    });

    it('shows a first progress read from Redis without a worker instead of stopping on it (it read the missing earlier view)', () => {
      const out = capture();
      const display = createQueueDisplay(out);
      const anonymous = { ...running('h/1'), progress: { ...running('h/1').progress, worker: undefined as unknown as string } };
      expect(() => display.update([anonymous])).to.not.throw();
      expect(out.text()).to.include('epoch 3/10 done');
    });
  });

  describe('gathering a queued bench', () => {
    it('reads a job that ends between two reads of a poll whole, on the next poll (it once read the state after the job, and stopped on a null value)', async () => {
      const result: RunResult = {
        ...{
          name: 'cc',
          seed: 0,
          status: 'ok',
          objectives: ['cc'],
          backbone: 'mlp',
          dataset: 'blobs',
          backend: 'cpu',
          epochs: 1,
          epochsDone: 1,
          wallSeconds: 1,
          imagesPerSec: 64,
        },
        ...{ metrics: { acc: 0.5 }, clusterSizes: {}, perEpoch: [], stepLoss: [], warnings: [], dir: 'cc-seed0', files: [], config: {} as never },
      };
      // A fake queue whose one job ends just after the first read of it, whichever that is.
      let reads = 0;
      const snapshot = () => {
        const ended = reads++ > 0;
        return {
          state: ended ? 'completed' : 'active',
          job: {
            returnvalue: ended ? { result, files: [] } : null,
            progress: { worker: 'h/1', epoch: 0, epochs: 1, step: 0 },
            getState: async () => (reads++ > 0 ? 'completed' : 'active'),
          },
        };
      };
      const queue = { getJobState: async () => snapshot().state, getJob: async () => snapshot().job };
      const out = await tempDir();
      const bench = { name: 'tiny', id: 'tiny-1', queued: '2026-12-06T00:00:00Z', runs: [{ dir: 'cc-seed0', jobId: 'tiny-1--cc-seed0', config: {} as never }] };
      const { results, pending } = await gatherBenches(queue as never, [{ out, bench }], { stream: capture() as never, pollMs: 1 });
      expect(pending).to.equal(0);
      expect(results[0]).to.include({ ok: 1, failed: 0 });
      expect(JSON.parse(await readFile(join(out, 'results.json'), 'utf8')).runs[0].metrics).to.deep.equal({ acc: 0.5 });
      expect(existsSync(join(out, LOCK_FILE)), 'the lock is released').to.equal(false);
    });

    it('refuses an --out that a live process holds, before it writes anything (it once wrote without the lock)', async () => {
      const out = await tempDir();
      // The parent of this test process: alive, and not this process.
      const holder = { pid: process.ppid, host: hostname(), command: 'bench other', since: '2026-12-06T00:00:00Z' };
      await writeFile(join(out, LOCK_FILE), JSON.stringify(holder));
      const queue = { getJobState: async () => 'completed', getJob: async () => undefined };
      const bench = { name: 'tiny', id: 'tiny-1', queued: '2026-12-06T00:00:00Z', runs: [{ dir: 'cc-seed0', jobId: 'tiny-1--cc-seed0', config: {} as never }] };
      const err = await gatherBenches(queue as never, [{ out, bench }], { stream: capture() as never, pollMs: 1 }).catch((e: Error) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message)
        .to.include(`is in use by process ${process.ppid}`)
        .and.include('bench other');
      expect(await readdir(out)).to.deep.equal([LOCK_FILE]);
      expect(JSON.parse(await readFile(join(out, LOCK_FILE), 'utf8')).pid).to.equal(process.ppid);
    });
  });
});
