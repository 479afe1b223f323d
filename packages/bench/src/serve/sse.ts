import type { FastifyReply, FastifyRequest } from 'fastify';

/** An open server-sent-events response (the browser's EventSource reads it and reconnects by itself). */
export interface EventStream {
  /** One event: `data` (a line of JSON), its type (default `message`) and its id (sent back as Last-Event-ID on reconnection). */
  send(data: string, opts?: { event?: string; id?: string }): void;
  /** Called once, when the client goes or the server closes the stream. */
  onClose(fn: () => void): void;
  close(): void;
}

/** Comments keep proxies and idle timeouts from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/** Takes the response over from fastify and opens it as an event stream. */
export function openEventStream(req: FastifyRequest, reply: FastifyReply): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': open\n\n');
  const closers: (() => void)[] = [];
  let closed = false;
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const fn of closers) fn();
  };
  req.raw.on('close', finish);
  return {
    send(data, opts = {}) {
      if (closed) return;
      const head = (opts.event ? `event: ${opts.event}\n` : '') + (opts.id ? `id: ${opts.id}\n` : '');
      res.write(head + data.split('\n').map((l) => `data: ${l}\n`).join('') + '\n');
    },
    onClose: (fn) => void closers.push(fn),
    close() {
      finish();
      res.end();
    },
  };
}
