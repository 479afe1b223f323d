import { createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ConfigError } from '@clusterflow/core';
import { EVENTS_FILE } from '../events-file.js';
import { followFile } from './follow-file.js';
import { runInfo, RunsFolder, type RunFolder } from './runs-folder.js';
import { runView } from './run-view.js';
import { openEventStream } from './sse.js';

export interface LiveViewOptions {
  /** The runs folder: a bench's output, or a folder of them. */
  root: string;
  /** 0: any free port. */
  port?: number;
  /** The address to listen on; loopback unless told otherwise. */
  host?: string;
}

/** A listening live view. */
export interface LiveView {
  url: string;
  close(): Promise<void>;
  /** Serves until `stop` aborts (Ctrl-C), then closes. */
  serveUntil(stop: AbortSignal | undefined): Promise<void>;
}

export const DEFAULT_PORT = 6070;
export const DEFAULT_HOST = '127.0.0.1';

/** The page: plain HTML, CSS and browser JavaScript, next to src/ and dist/ alike, so there is nothing to build. */
const PAGE_DIR = fileURLToPath(new URL('../../page/', import.meta.url));

/** The browser bundles of vega, vega-lite and vega-embed, found where npm installed them. */
function vendorFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  // Each package's main file sits in its build/ folder beside the minified browser bundle.
  const bundle = (pkg: string, file: string) => join(dirname(require.resolve(pkg)), file);
  return new Map([
    ['vega.min.js', bundle('vega', 'vega.min.js')],
    ['vega-lite.min.js', bundle('vega-lite', 'vega-lite.min.js')],
    ['vega-embed.min.js', bundle('vega-embed', 'vega-embed.min.js')],
  ]);
}

/** The files of a run folder the page may fetch; anything else is a 404. */
const RUN_FILES: Record<string, string> = {
  'samples.png': 'image/png',
  'loss.svg': 'image/svg+xml',
  'metrics.svg': 'image/svg+xml',
  'confusion.svg': 'image/svg+xml',
  'assignments.csv': 'text/csv; charset=utf-8',
  'results.json': 'application/json; charset=utf-8',
  'results.md': 'text/markdown; charset=utf-8',
  [EVENTS_FILE]: 'application/x-ndjson; charset=utf-8',
};

/** How often the runs list is looked at for changes, for the page's table. */
const LIST_POLL_MS = 1000;

/**
 * The live view's HTTP server (fastify): the page and the vega bundles, and a JSON
 * and server-sent-events API over the runs folder. Every run is addressed by the id
 * the folder scan gave it; request text never becomes a path, so nothing outside the
 * runs folder can be asked for.
 */
export async function createLiveViewServer(root: string): Promise<FastifyInstance> {
  const runs = new RunsFolder(resolve(root));
  const vendor = vendorFiles();
  // Event streams never end by themselves: close them when the server closes.
  const app = Fastify({ forceCloseConnections: true });
  await app.register(fastifyStatic, { root: PAGE_DIR, wildcard: false, index: 'index.html' });

  const notFound = (reply: FastifyReply, message: string) => reply.code(404).send({ error: message });
  app.setNotFoundHandler((req, reply) => notFound(reply, `not found: ${req.url}`));
  const lookup = async (id: unknown): Promise<RunFolder | undefined> => (typeof id === 'string' ? runs.run(id) : undefined);
  const noRun = (reply: FastifyReply, id: unknown) => notFound(reply, `no run '${String(id)}' under ${runs.root}`);

  app.get<{ Params: { file: string } }>('/vendor/:file', (req, reply) => {
    const path = vendor.get(req.params.file);
    if (!path) return notFound(reply, `no vendor file '${req.params.file}'`);
    return reply.type('text/javascript; charset=utf-8').send(createReadStream(path));
  });

  app.get('/api/runs', async () => ({ root: runs.root, runs: (await runs.runs()).map((f) => runInfo(f, runs.root)) }));

  app.get<{ Querystring: { id?: string } }>('/api/run', async (req, reply) => {
    const f = await lookup(req.query.id);
    if (!f) return noRun(reply, req.query.id);
    const files: string[] = [];
    for (const name of Object.keys(RUN_FILES)) if (await runs.file(f, name)) files.push(name);
    return { ...(await runView(f, runInfo(f, runs.root), runs)), files };
  });

  app.get<{ Querystring: { id?: string; name?: string } }>('/api/run/file', async (req, reply) => {
    const f = await lookup(req.query.id);
    if (!f) return noRun(reply, req.query.id);
    const name = req.query.name ?? '';
    const type = Object.hasOwn(RUN_FILES, name) ? RUN_FILES[name] : undefined;
    const path = type ? await runs.file(f, name) : undefined;
    if (!type || !path) return notFound(reply, `run '${f.id}' has no file '${name}'`);
    return reply.type(type).header('cache-control', 'no-cache').send(createReadStream(path));
  });

  // The runs list, again whenever it changes (a run starts, steps, ends).
  app.get('/api/runs/live', (req, reply) => {
    const stream = openEventStream(req, reply);
    let last = '';
    let timer: NodeJS.Timeout | undefined;
    let open = true;
    const poll = async () => {
      try {
        const json = JSON.stringify((await runs.runs()).map((f) => runInfo(f, runs.root)));
        if (json !== last) stream.send((last = json), { event: 'runs' });
      } catch (err) {
        stream.send(JSON.stringify({ error: (err as Error).message }), { event: 'failure' });
      }
      if (open) timer = setTimeout(poll, LIST_POLL_MS);
    };
    stream.onClose(() => ((open = false), clearTimeout(timer)));
    void poll();
  });

  // One run's events.jsonl, line by line as it grows; each event's id is the byte
  // offset after it, so a reconnecting EventSource resumes where it left off.
  app.get<{ Querystring: { id?: string } }>('/api/run/events', async (req, reply) => {
    const f = await lookup(req.query.id);
    if (!f) return noRun(reply, req.query.id);
    const from = Number(req.headers['last-event-id'] ?? 0);
    const stream = openEventStream(req, reply);
    const stop = followFile(join(f.dir, EVENTS_FILE), Number.isSafeInteger(from) && from > 0 ? from : 0, {
      line: (text, end) => stream.send(text, { id: String(end) }),
      reset: () => stream.send('{}', { event: 'reset' }),
    });
    stream.onClose(stop);
  });

  return app;
}

/** Starts the live view of `root` and says where it is. */
export async function startLiveView(opts: LiveViewOptions): Promise<LiveView> {
  const root = resolve(opts.root);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new ConfigError(`runs folder ${opts.root} is not a folder`);
  const host = opts.host ?? DEFAULT_HOST;
  const app = await createLiveViewServer(root);
  try {
    await app.listen({ port: opts.port ?? DEFAULT_PORT, host });
  } catch (err) {
    await app.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new ConfigError(`--port ${opts.port ?? DEFAULT_PORT}: the port is in use; choose another (--port 0 takes any free one)`);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  return {
    url,
    close,
    async serveUntil(stop) {
      if (!stop) return new Promise<void>(() => {});
      if (!stop.aborted) await new Promise((r) => stop.addEventListener('abort', r, { once: true }));
      await close();
    },
  };
}
