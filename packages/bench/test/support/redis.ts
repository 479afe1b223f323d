import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

/** Why the queue specs cannot run here, or undefined when they can: Debian's redis-server, and a Redis client for BullMQ. */
export function queueSpecsBlocked(): string | undefined {
  if (spawnSync('redis-server', ['--version']).error) return 'redis-server is not installed (Debian package redis-server; .ci/run installs it)';
  try {
    // BullMQ loads its Redis client (ioredis, an optional peer dependency of bullmq 6) itself.
    createRequire(createRequire(import.meta.url).resolve('bullmq')).resolve('ioredis');
  } catch {
    return 'ioredis is not installed (bullmq 6 needs it as a peer dependency)';
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Redis of the test's own on a free loopback port, persisting to `dir` (append-only
 * file), so that `restart()` finds the queue as it was: what a Redis run for a
 * cluster should do too.
 */
export class TestRedis {
  private proc?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(dir: string): Promise<TestRedis> {
    const redis = new TestRedis(await freePort(), dir);
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
    ];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d;
        if (/Ready to accept connections/.test(out)) resolve();
      };
      proc.stdout!.on('data', onData);
      proc.on('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${out}`)));
    });
  }

  /** Shuts Redis down (it writes its append-only file on the way) and returns once it has exited. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  }

  /** Stopped, then started again on the same port and folder. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}
