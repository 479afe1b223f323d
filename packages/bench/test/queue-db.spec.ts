import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cli } from './support/cli.js';
import { tempDir } from './support/files.js';
import { queueSpecsBlocked, TestRedis } from './support/redis.js';

/** The keys of one database of the test's Redis. */
const keys = (redis: TestRedis, db: number) =>
  spawnSync('redis-cli', ['-p', String(redis.port), '-n', String(db), '--raw', 'keys', '*'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);

describe('the queue honours the Redis database of its URL, and stops on permanent errors (issue 26, item 10)', function () {
  this.timeout(60_000);
  let dir: string;
  let redis: TestRedis;

  before(async function () {
    const blocked = queueSpecsBlocked();
    if (blocked) return this.skip();
    dir = await tempDir();
    redis = await TestRedis.start(dir);
  });
  after(async () => {
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('bench --queue puts its runs into the database the URL names, not database 0', async () => {
    const bench = join(dir, 'b.json');
    await writeFile(
      bench,
      JSON.stringify({ name: 'b', runs: [{ name: 'x', data: { id: 'vectors', options: { path: 'nowhere.json' } }, objective: [{ id: 'cc' }] }] }),
    );
    const res = await cli('bench', bench, '--queue', `${redis.url}/3`, '--detach', '--out', join(dir, 'out'));
    expect(res.code, res.err).to.equal(0);
    expect(keys(redis, 3).length).to.be.greaterThan(0);
    expect(keys(redis, 0)).to.deep.equal([]);
  });

  it('a database index the Redis does not have is an error at once, naming it, for bench --queue and worker', async () => {
    const bench = join(dir, 'b.json');
    const started = performance.now();
    const res = await cli('bench', bench, '--queue', `${redis.url}/99`, '--detach', '--out', join(dir, 'out99'));
    expect(res.code).to.be.oneOf([1, 2]);
    expect(res.err).to.include('99');
    expect(res.err).to.match(/database|DB index/i);
    const worker = await cli('worker', '--queue', `${redis.url}/99`);
    expect(worker.code).to.be.oneOf([1, 2]);
    expect(worker.err).to.match(/database|DB index/i);
    expect(performance.now() - started).to.be.lessThan(8000);
  });

  it('refused credentials are an error at once, for bench --queue and worker', async () => {
    const { createServer } = await import('node:net');
    const { spawn } = await import('node:child_process');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const locked = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--requirepass', 'sesame'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      await new Promise<void>((resolve) => locked.stdout!.on('data', (d: Buffer) => /Ready to accept/.test(String(d)) && resolve()));
      for (const url of [`redis://127.0.0.1:${port}`, `redis://:wrong@127.0.0.1:${port}`]) {
        const worker = await cli('worker', '--queue', url);
        expect(worker.code, url).to.equal(2);
        expect(worker.err, url).to.include('credentials');
        const bench = await cli('bench', join(dir, 'b.json'), '--queue', url, '--detach', '--out', join(dir, 'out-auth'));
        expect(bench.code, url).to.equal(2);
        expect(bench.err, url).to.include('credentials');
      }
    } finally {
      locked.kill();
    }
  });
});

describe('a worker that cannot reach Redis (issue 26, item 10)', function () {
  this.timeout(60_000);
  it('says so, and gives up after --give-up-after with a non-zero exit', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r)); // nothing listens there now
    const started = performance.now();
    const res = await cli('worker', '--queue', `redis://127.0.0.1:${port}`, '--give-up-after', '3');
    expect(res.code).to.equal(1);
    expect(res.out).to.include(`cannot reach Redis at redis://127.0.0.1:${port}`);
    expect(res.err + res.out).to.include('--give-up-after 3');
    expect(performance.now() - started).to.be.within(2500, 20_000);
  });
});
