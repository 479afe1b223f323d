import { ConfigError } from '@clusterflow/core';
import { Queue, type RedisOptions } from 'bullmq';

/** The one BullMQ queue every bench and worker of a Redis shares; benches are told apart by job id. */
export const QUEUE_NAME = 'clusterflow-runs';

/** Where the queue lives: BullMQ's connection options, and the URL to show (no password). */
export interface QueueAddress {
  connection: RedisOptions;
  display: string;
}

/**
 * `redis://[user:password@]host[:port][/db]` as BullMQ's connection options.
 * Commands wait for a Redis that went away instead of failing
 * (`maxRetriesPerRequest: null`): a restarted Redis costs a pause, not a run.
 */
export function parseQueueUrl(text: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--queue: expected redis://host:port (got '${text}')`);
  }
  if (url.protocol !== 'redis:') throw new ConfigError(`--queue: only redis:// URLs are supported (got '${text}')`);
  if (!url.hostname) throw new ConfigError(`--queue: no host in '${text}'`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new ConfigError(`--queue: the path of '${text}' must be a database number, e.g. redis://host:6379/0`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const connection: RedisOptions = {
    host,
    port: url.port ? Number(url.port) : 6379,
    ...(db ? { db: Number(db) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    maxRetriesPerRequest: null,
  };
  const display = `redis://${host.includes(':') ? `[${host}]` : host}:${connection.port}${db ? `/${db}` : ''}`;
  return { connection, display };
}

/** Says each connection error once a minute: Redis going away repeats it at every reconnection attempt. */
export function sayErrors(emitter: { on(event: 'error', listener: (err: Error) => void): unknown }, say: (text: string) => void): void {
  const said = new Map<string, number>();
  emitter.on('error', (err) => {
    if (Date.now() - (said.get(err.message) ?? 0) < 60_000) return;
    said.set(err.message, Date.now());
    say(`queue: ${err.message} (waiting for Redis)`);
  });
}

/** The queue, once Redis answers; an error naming the address when it does not within `timeoutMs`. */
export async function openQueue<D, R>(address: QueueAddress, timeoutMs = 10_000): Promise<Queue<D, R>> {
  const queue = new Queue<D, R>(QUEUE_NAME, { connection: address.connection });
  let lastError: Error | undefined;
  queue.on('error', (err) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), timeoutMs)));
  try {
    await Promise.race([queue.waitUntilReady(), timeout]);
    return queue;
  } catch (err) {
    await queue.close().catch(() => {});
    throw new Error(`cannot reach Redis at ${address.display} within ${timeoutMs / 1000} s: ${(lastError ?? (err as Error)).message}`);
  } finally {
    clearTimeout(timer);
  }
}
