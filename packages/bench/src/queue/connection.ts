import { ConfigError } from '@clusterflow/core';
import { Queue, type RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';

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

/**
 * What no retry will mend, from a Redis error: a database index the server does not
 * have, a refused or missing password, a key of another type. Undefined for errors
 * that pass (Redis restarting, the network): those are waited out.
 */
export function permanentRedisError(err: Error, address: QueueAddress): string | undefined {
  const m = err.message;
  const db = address.connection.db ?? 0;
  if (/DB index is out of range|invalid DB index/i.test(m)) {
    return `Redis at ${address.display} has no database ${db} (${m}); it has 16 (0 to 15) unless its 'databases' setting says otherwise`;
  }
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password|without any password configured/i.test(m)) {
    return `Redis at ${address.display} refused the connection's credentials (${m}); give them as redis://user:password@host:port`;
  }
  if (/WRONGTYPE/.test(m))
    return `Redis at ${address.display} holds a key of another type where the queue keeps its own (${m}): is the database another program's?`;
  return undefined;
}

/**
 * Fails at once, with a ConfigError saying what to change, when Redis answers but
 * cannot serve the queue: no such database, refused credentials. ioredis, when its
 * SELECT of the URL's database fails, says so in an 'error' event and goes on in
 * database 0 (a bench once queued its runs there while printing /99, and workers
 * waited forever): so the database is selected here by hand, and the reply read.
 * Other errors (Redis not there yet) are left to the callers, which wait them out.
 */
export async function checkRedis(address: QueueAddress): Promise<void> {
  const client = new Redis({ ...address.connection, db: 0, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 5000 });
  // A refused password comes as an event; connect() then rejects with 'Connection is closed'.
  let event: Error | undefined;
  client.on('error', (err: Error) => (event = err));
  try {
    await client.connect();
    const db = address.connection.db ?? 0;
    if (db !== 0) await client.select(db);
  } catch (err) {
    const fatal = permanentRedisError(err as Error, address) ?? (event && permanentRedisError(event, address));
    if (fatal) throw new ConfigError(`--queue: ${fatal}`);
  } finally {
    client.disconnect();
  }
}

/**
 * The queue, once Redis answers and has selected the URL's database; an error
 * naming the address when it does not within `timeoutMs`, and at once when the
 * error is permanent (see `permanentRedisError`).
 */
export async function openQueue<D, R>(address: QueueAddress, timeoutMs = 10_000): Promise<Queue<D, R>> {
  const queue = new Queue<D, R>(QUEUE_NAME, { connection: address.connection });
  let lastError: Error | undefined;
  let rejectNow: ((err: Error) => void) | undefined;
  const permanent = new Promise<never>((_, reject) => (rejectNow = reject));
  queue.on('error', (err) => {
    lastError = err;
    const fatal = permanentRedisError(err, address);
    if (fatal) rejectNow?.(new ConfigError(`--queue: ${fatal}`));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), timeoutMs)));
  try {
    await Promise.race([checkRedis(address).then(() => queue.waitUntilReady()), timeout, permanent]);
    return queue;
  } catch (err) {
    await queue.close().catch(() => {});
    if (err instanceof ConfigError) throw err;
    throw new Error(`cannot reach Redis at ${address.display} within ${timeoutMs / 1000} s: ${(lastError ?? (err as Error)).message}`);
  } finally {
    clearTimeout(timer);
  }
}
