import { createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ConfigError } from '@clusterflow/core';
import { EVENTS_FILE } from '../report/events-file.js';
import { guard, isLoopback, makeToken, type AccessOptions } from './access.js';
import { followLog } from './follow-log.js';
import { LogWatches } from './log-watch.js';
import { runInfo, RunsFolder, type RunFolder, type RunInfo } from './runs-folder.js';
import { runView } from './run-view.js';
import { openEventStream, type EventStream } from './sse.js';

export interface LiveViewOptions {
  /** The runs folder: a bench's output, or a folder of them. */
  root: string;
  /** 0: any free port. */
  port?: number;
  /** The address to listen on; loopback unless told otherwise. */
  host?: string;
  /** Asked for on every request; made up when listening beyond loopback without one. */
  token?: string;
  /** More names the Host header may carry (a DNS name of this machine). */
  allowHosts?: readonly string[];
  /** Where the warning about listening beyond loopback goes (default: stderr). */
  warn?: (message: string) => void;
}

/** A listening live view. */
export interface LiveView {
  /** Its address, with `?token=` when it asks for one. */
  url: string;
  /** The fastify server (its `runsFolder` counts scans and bytes read). */
  app: FastifyInstance;
  close(): Promise<void>;
  /** Serves until `stop` aborts (Ctrl-C), then closes. */
  serveUntil(stop: AbortSignal | undefined): Promise<void>;
}

export const DEFAULT_PORT = 6070;
export const DEFAULT_HOST = '127.0.0.1';

/**
 * The page as page/build.ts built it (`npm run build`): its HTML, CSS and bundle,
 * and nothing else. dist/page is the same folder seen from src/serve and dist/serve.
 */
const PAGE_DIR = fileURLToPath(new URL('../../dist/page/', import.meta.url));

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

/** How often the runs list is looked at for changes, for the page's table; also how old a scan a request may be answered from. */
const LIST_POLL_MS = 1000;

/**
 * The live view's HTTP server (fastify): the page and the vega bundles, and a JSON
 * and server-sent-events API over the runs folder. Every run is addressed by the id
 * the folder scan gave it; request text never becomes a path, and every file is
 * read through the confinement (links resolved; nothing whose real path lies outside
 * the runs folder). Every request's Host is checked, and its token when there is one.
 * One folder scan and one watch per log serve all clients; logs are streamed in
 * bounded chunks, no faster than each client reads.
 */
export async function createLiveViewServer(root: string, access: Omit<AccessOptions, 'host'> & { host?: string } = {}): Promise<FastifyInstance> {
  const runs = new RunsFolder(resolve(root));
  const watches = new LogWatches();
  const vendor = vendorFiles();
  // Event streams never end by themselves: close them when the server closes.
  const app = Fastify({ forceCloseConnections: true });
  guard(app, { ...access, host: access.host ?? DEFAULT_HOST });
  // What the server's specs measure it by (scans made, bytes read).
  app.decorate('runsFolder', runs);
  // The first scan before the server says it is ready: no request waits for it (later ones answer from the last scan).
  app.addHook('onReady', async () => void (await runs.runs()));
  app.addHook('onClose', async () => {
    runs.close();
    watches.close();
    list.close();
  });
  // Not built (a checkout before `npm run build`): the API still answers, and the page's address says what to do.
  if (existsSync(join(PAGE_DIR, 'index.html'))) await app.register(fastifyStatic, { root: PAGE_DIR, wildcard: false, index: 'index.html' });
  else app.get('/', (_req, reply) => reply.code(404).send({ error: "the live view's page is not built: run `npm run build`" }));

  // Texts name what was asked for, never where the server keeps it.
  const notFound = (reply: FastifyReply, message: string) => reply.code(404).send({ error: message });
  app.setNotFoundHandler((req, reply) => notFound(reply, `not found: ${req.url}`));
  const lookup = async (id: unknown): Promise<RunFolder | undefined> => (typeof id === 'string' ? runs.run(id, LIST_POLL_MS) : undefined);
  const noRun = (reply: FastifyReply, id: unknown) => notFound(reply, `no run '${String(id)}' in this runs folder`);
  const infos = (folders: RunFolder[]) => folders.map((f) => safeRunInfo(f, runs.root));

  app.get<{ Params: { file: string } }>('/vendor/:file', (req, reply) => {
    const path = vendor.get(req.params.file);
    if (!path) return notFound(reply, `no vendor file '${req.params.file}'`);
    return reply.type('text/javascript; charset=utf-8').send(createReadStream(path));
  });

  app.get('/api/runs', async () => ({ root: basename(runs.root), runs: infos(await runs.runs(LIST_POLL_MS)) }));

  app.get<{ Querystring: { id?: string } }>('/api/run', async (req, reply) => {
    const f = await lookup(req.query.id);
    if (!f) return noRun(reply, req.query.id);
    const files: string[] = [];
    for (const name of Object.keys(RUN_FILES)) if (await runs.file(f, name)) files.push(name);
    try {
      return { ...(await runView(f, runInfo(f, runs.root), runs)), files };
    } catch (err) {
      // A record or file of the run that is not what a run writes: say so, keep serving.
      return reply.code(422).send({ error: `run '${f.id}' cannot be drawn: ${(err as Error).message}` });
    }
  });

  app.get<{ Querystring: { id?: string; name?: string } }>('/api/run/file', async (req, reply) => {
    const f = await lookup(req.query.id);
    if (!f) return noRun(reply, req.query.id);
    const name = req.query.name ?? '';
    const type = Object.hasOwn(RUN_FILES, name) ? RUN_FILES[name] : undefined;
    const file = type ? await runs.confinement.open(join(f.dir, name)) : undefined;
    if (!type || !file) return notFound(reply, `run '${f.id}' has no file '${String(name)}'`);
    // The handle opened after the check is the one sent: no link swapped in meanwhile is followed.
    const stream = file.fh.createReadStream({ start: 0, end: Math.max(0, file.size - 1), autoClose: true });
    return reply
      .type(type)
      .header('cache-control', 'no-cache')
      .header('content-length', file.size)
      .send(file.size === 0 ? '' : stream);
  });

  // The runs list, to every client, again whenever it changes (a run starts, steps, ends): one scan for all.
  const list = new SharedList(async () => JSON.stringify(infos(await runs.runs(LIST_POLL_MS / 2))), LIST_POLL_MS);
  app.get('/api/runs/live', (req, reply) => list.add(openEventStream(req, reply)));

  // One run's events.jsonl, line by line as it grows; each event's id is the byte
  // offset after it, so a reconnecting EventSource resumes where it left off.
  app.get<{ Querystring: { id?: string } }>('/api/run/events', async (req, reply) => {
    const f = await lookup(req.query.id);
    if (!f) return noRun(reply, req.query.id);
    const path = join(f.dir, EVENTS_FILE);
    // There but leading outside: refused now (one not written yet is waited for).
    if (existsSync(path) && !(await runs.confinement.resolve(path))) return notFound(reply, `run '${f.id}' has no file '${EVENTS_FILE}'`);
    const from = Number(req.headers['last-event-id'] ?? 0);
    const stream = openEventStream(req, reply);
    followLog(path, Number.isSafeInteger(from) && from > 0 ? from : 0, stream, runs.confinement, watches).catch(() => stream.close());
  });

  return app;
}

/** A run's row; a record that is not what a run writes gets a row that says so, not a failed list. */
function safeRunInfo(f: RunFolder, root: string): RunInfo | Pick<RunInfo, 'id' | 'name' | 'status' | 'error'> {
  try {
    return runInfo(f, root);
  } catch (err) {
    return { id: f.id, name: f.id, status: 'failed', error: `unreadable record: ${(err as Error).message}` };
  }
}

/**
 * The runs list's event streams: one poll for all of them, each change sent to
 * each; a client still taking the last one gets the newest when it has.
 */
class SharedList {
  private readonly clients = new Set<EventStream>();
  private json: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly read: () => Promise<string>,
    private readonly intervalMs: number,
  ) {}

  add(stream: EventStream): void {
    this.clients.add(stream);
    stream.onClose(() => {
      this.clients.delete(stream);
      if (this.clients.size === 0) (clearTimeout(this.timer), (this.timer = undefined));
    });
    if (this.json !== undefined) this.sendTo(stream, this.json);
    if (!this.polling && this.timer === undefined) void this.poll();
  }

  close(): void {
    clearTimeout(this.timer);
    for (const c of this.clients) c.close();
    this.clients.clear();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const json = await this.read();
      if (json !== this.json) {
        this.json = json;
        for (const c of this.clients) this.sendTo(c, json);
      }
    } catch (err) {
      for (const c of this.clients) c.send(JSON.stringify({ error: (err as Error).message }), { event: 'failure' });
    } finally {
      this.polling = false;
    }
    if (this.clients.size > 0) this.timer = setTimeout(() => void this.poll(), this.intervalMs);
  }

  private readonly behind = new WeakSet<EventStream>();

  private sendTo(c: EventStream, json: string): void {
    if (this.behind.has(c)) return;
    if (c.send(json, { event: 'runs' })) return;
    this.behind.add(c);
    void c.drained().then(() => {
      this.behind.delete(c);
      if (!c.closed && this.json !== undefined && this.json !== json) this.sendTo(c, this.json);
    });
  }
}

/** Starts the live view of `root` and says where it is. */
export async function startLiveView(opts: LiveViewOptions): Promise<LiveView> {
  const root = resolve(opts.root);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new ConfigError(`runs folder ${opts.root} is not a folder`);
  const host = opts.host ?? DEFAULT_HOST;
  let token = opts.token;
  if (!isLoopback(host)) {
    // Beyond this machine, a token unless one was given: the page shows every run's config and files.
    token ??= makeToken();
    (opts.warn ?? ((m) => process.stderr.write(m)))(
      `warning: the live view listens on ${host}, beyond this machine: anyone on the network who has its URL (with its token) sees every run under ${opts.root}\n`,
    );
  }
  const app = await createLiveViewServer(root, { host, token, allowHosts: opts.allowHosts });
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
  const shown = WILDCARD_HOSTS.has(host) ? hostname() : host;
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  return {
    url,
    app,
    close,
    async serveUntil(stop) {
      if (!stop) return new Promise<void>(() => {});
      if (!stop.aborted) await new Promise((r) => stop.addEventListener('abort', r, { once: true }));
      await close();
    },
  };
}

/** Addresses meaning every interface: the URL names the machine instead. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
