import { expect } from 'chai';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLiveViewServer, startLiveView, type LiveView } from '@clusterflow/bench';
import { capture } from './support/cli.js';
import { tempDir } from './support/files.js';
import { runStart } from './support/run-log.js';
import { readAnswer } from './support/http.js';

const SECRET = 'SECRET-5f1c9e-not-for-the-page';
const start = runStart();
/** A file outside the runs folder that looks like a log: what an attacker would have the server stream. */
const secretLog = JSON.stringify({ ...start, backend: SECRET }) + '\n' + JSON.stringify({ t: 2, type: 'warning', epoch: 0, message: SECRET }) + '\n';
const bench = (dirs: string[]) =>
  JSON.stringify({
    name: 'b',
    date: '',
    machine: {},
    runs: dirs.map((dir) => ({ name: dir, seed: 0, status: 'ok', dir, metrics: {}, perEpoch: [], stepLoss: [], warnings: [], files: [], clusterSizes: {} })),
  });

/** The body of every answer to `url`, event streams read for `ms`. */
const body = (base: string, path: string, ms = 400, headers: Record<string, string> = {}) => readAnswer(base + path, { ms, headers });

describe('live view security: links never lead outside the runs folder (issue 26, item 1)', () => {
  let dir: string;
  let root: string;
  let live: LiveView;

  before(async () => {
    dir = await tempDir();
    root = join(dir, 'runs');
    await mkdir(join(dir, 'outside', 'run-seed0'), { recursive: true });
    await writeFile(join(dir, 'secret.jsonl'), secretLog);
    await writeFile(join(dir, 'outside', 'run-seed0', 'events.jsonl'), secretLog);
    await writeFile(join(dir, 'outside', 'run-seed0', 'results.json'), SECRET);
    // A run whose log is a link to a file outside, one whose log is a chain of links,
    // and a run folder that is itself a link to a folder outside; a bench's results.json lists them all.
    await mkdir(join(root, 'b', 'linked-log-seed0'), { recursive: true });
    await writeFile(join(root, 'b', 'linked-log-seed0', 'results.json'), bench(['linked-log-seed0']));
    await symlink(join(dir, 'secret.jsonl'), join(root, 'b', 'linked-log-seed0', 'events.jsonl'));
    await mkdir(join(root, 'b', 'chain-seed0'));
    await writeFile(join(root, 'b', 'chain-seed0', 'results.json'), bench(['chain-seed0']));
    await symlink(join(dir, 'secret.jsonl'), join(root, 'b', 'hop1'));
    await symlink(join(root, 'b', 'hop1'), join(root, 'b', 'chain-seed0', 'events.jsonl'));
    await symlink(join(dir, 'outside', 'run-seed0'), join(root, 'b', 'linked-dir-seed0'));
    await symlink(join(dir, 'outside'), join(root, 'b', 'linked-parent'));
    await writeFile(join(root, 'b', 'results.json'), bench(['linked-log-seed0', 'chain-seed0', 'linked-dir-seed0', 'linked-parent/run-seed0']));
    live = await startLiveView({ root, port: 0 });
  });

  after(async () => {
    await live?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('does not list a run folder that is a link outside, nor read a log that is one', async () => {
    const res = await body(live.url, 'api/runs');
    expect(res.status).to.equal(200);
    expect(res.text).to.not.include(SECRET);
    const ids = (JSON.parse(res.text).runs as { id: string }[]).map((r) => r.id);
    expect(ids).to.not.include('b/linked-dir-seed0');
    expect(ids).to.not.include('b/linked-parent/run-seed0');
  });

  for (const id of ['b/linked-log-seed0', 'b/chain-seed0', 'b/linked-dir-seed0', 'b/linked-parent/run-seed0']) {
    it(`streams, shows and serves nothing from outside for ${id}`, async () => {
      for (const path of [
        `api/run?id=${id}`,
        `api/run/events?id=${id}`,
        `api/run/file?id=${id}&name=events.jsonl`,
        `api/run/file?id=${id}&name=results.json`,
      ]) {
        const res = await body(live.url, path);
        expect(res.text, path).to.not.include(SECRET);
        expect(res.text, path).to.not.include('5f1c9e');
      }
    });
  }

  it('does not show the absolute root path in a 404', async () => {
    for (const path of ['api/run?id=nope', 'nope', 'api/run/file?id=nope&name=x', 'api/run/events?id=nope']) {
      const res = await body(live.url, path);
      expect(res.status, path).to.equal(404);
      expect(res.text, path).to.not.include(dir);
    }
    expect((await body(live.url, 'api/runs')).text).to.not.include(dir);
  });
});

describe('live view security: network exposure (issue 26, item 4)', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = await tempDir();
    await mkdir(join(dir, 'r-seed0'));
    await writeFile(join(dir, 'r-seed0', 'events.jsonl'), JSON.stringify(start) + '\n');
  });
  after(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers only the names it is bound to in Host (no DNS rebinding)', async () => {
    app = await createLiveViewServer(dir, { host: '127.0.0.1' });
    for (const host of ['localhost:6070', '127.0.0.1:6070', '[::1]:6070', 'localhost', 'LOCALHOST:1']) {
      expect((await app.inject({ url: '/api/runs', headers: { host } })).statusCode, host).to.equal(200);
    }
    for (const host of ['evil.example:6070', 'evil.example', '127.0.0.1.evil.example', 'localhost.evil.example:6070']) {
      const res = await app.inject({ url: '/api/runs', headers: { host } });
      expect(res.statusCode, host).to.equal(403);
      expect(res.body, host).to.include('Host');
      expect((await app.inject({ url: '/', headers: { host } })).statusCode, host).to.equal(403);
    }
    await app.close();
  });

  it('with --token, asks for it on every route: query, header or the cookie the page gets', async () => {
    app = await createLiveViewServer(dir, { host: '127.0.0.1', token: 'abc123' });
    for (const url of [
      '/',
      '/app.js',
      '/api/runs',
      '/api/run?id=r-seed0',
      '/api/run/file?id=r-seed0&name=events.jsonl',
      '/vendor/vega.min.js',
      '/api/runs/live',
      '/api/run/events?id=r-seed0',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).to.equal(401);
      expect((await app.inject({ url: `${url}${url.includes('?') ? '&' : '?'}token=wrong` })).statusCode, url).to.equal(401);
    }
    const page = await app.inject({ url: '/?token=abc123' });
    expect(page.statusCode).to.equal(200);
    const cookie = String(page.headers['set-cookie']);
    expect(cookie)
      .to.match(/HttpOnly/i)
      .and.match(/SameSite=Strict/i);
    const pair = cookie.split(';')[0];
    expect((await app.inject({ url: '/api/runs', headers: { cookie: pair } })).statusCode).to.equal(200);
    expect((await app.inject({ url: '/api/runs', headers: { authorization: 'token abc123' } })).statusCode).to.equal(200);
    expect((await app.inject({ url: '/api/runs', headers: { authorization: 'Bearer abc123' } })).statusCode).to.equal(200);
    await app.close();
  });

  it('beyond loopback: warns, makes up a token unless given one and prints it in the URL', async () => {
    const warnings = capture();
    const wide = await startLiveView({ root: dir, port: 0, host: '0.0.0.0', warn: (m) => warnings.write(m) });
    try {
      expect(warnings.text()).to.match(/every interface|beyond this machine|network/);
      const token = new URL(wide.url).searchParams.get('token');
      expect(token).to.match(/^[0-9a-f]{32,}$/);
      const port = new URL(wide.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/api/runs`)).status).to.equal(401);
      expect((await fetch(`http://127.0.0.1:${port}/api/runs?token=${token}`)).status).to.equal(200);
      // The machine's own name is a bound name when listening on every interface.
      expect((await fetch(`http://127.0.0.1:${port}/api/runs?token=${token}`, { headers: { host: `${hostname()}:${port}` } })).status).to.equal(200);
    } finally {
      await wide.close();
    }
    const quiet = capture();
    const local = await startLiveView({ root: dir, port: 0, warn: (m) => quiet.write(m) });
    try {
      expect(quiet.text()).to.equal('');
      expect(new URL(local.url).search).to.equal('');
    } finally {
      await local.close();
    }
  });
});

describe('live view: a bench record is not believed over the folder (issue 26, item 12)', () => {
  it('lists a run whose folder is gone with a note that it is', async () => {
    const dir = await tempDir();
    try {
      await mkdir(join(dir, 'b', 'here-seed0'), { recursive: true });
      await writeFile(join(dir, 'b', 'results.json'), bench(['here-seed0', 'gone-seed0']));
      const app = await createLiveViewServer(dir);
      try {
        const runs = (await app.inject({ url: '/api/runs' })).json().runs as { id: string; error?: string }[];
        expect(runs.map((r) => r.id)).to.deep.equal(['b/gone-seed0', 'b/here-seed0']);
        expect(runs[0].error).to.include('is not there');
        expect(runs[1].error).to.equal(undefined);
      } finally {
        await app.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
