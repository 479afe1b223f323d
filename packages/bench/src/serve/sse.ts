import type { FastifyReply, FastifyRequest } from 'fastify';

/** An open server-sent-events response (the browser's EventSource reads it and reconnects by itself). */
export interface EventStream {
  /**
   * One event: `data` (a line of JSON), its type (default `message`) and its id (sent
   * back as Last-Event-ID on reconnection). False when the client is behind: wait
   * for `drained()` before sending more.
   */
  send(data: string, opts?: { event?: string; id?: string }): boolean;
  /** Writes events already framed (see `frame`); false as for `send`. */
  write(framed: string | Buffer): boolean;
  /** Resolves once the client has taken what was sent, or has gone. */
  drained(): Promise<void>;
  readonly closed: boolean;
  /** Called once, when the client goes or the server closes the stream. */
  onClose(fn: () => void): void;
  close(): void;
}

/** Comments keep proxies and idle timeouts from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/** One event as the wire carries it. Data holds no newline (each line of it would be a `data:` field). */
export function frame(data: string, opts: { event?: string; id?: string } = {}): string {
  const head = (opts.event ? `event: ${opts.event}\n` : '') + (opts.id ? `id: ${opts.id}\n` : '');
  return (
    head +
    data
      .split(/\r\n|\r|\n/)
      .map((l) => `data: ${l}\n`)
      .join('') +
    '\n'
  );
}

/** Takes the response over from fastify and opens it as an event stream. */
export function openEventStream(req: FastifyRequest, reply: FastifyReply): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': open\n\n');
  const closers: (() => void)[] = [];
  let closed = false;
  // A client that reads nothing gets no heartbeat piled up either.
  const heartbeat = setInterval(() => res.writableNeedDrain || res.write(': ping\n\n'), HEARTBEAT_MS);
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    res.emit('drain'); // wakes whoever waits to write
    for (const fn of closers) fn();
  };
  req.raw.on('close', finish);
  res.on('close', finish);
  const write = (framed: string | Buffer) => !closed && res.write(framed);
  return {
    send: (data, opts) => write(frame(data, opts)),
    write,
    drained: () => (closed || !res.writableNeedDrain ? Promise.resolve() : new Promise((r) => res.once('drain', () => r()))),
    get closed() {
      return closed;
    },
    onClose: (fn) => void closers.push(fn),
    close() {
      finish();
      res.end();
    },
  };
}
