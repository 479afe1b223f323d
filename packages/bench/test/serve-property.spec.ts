import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startLiveView, type LiveView } from '@clusterflow/bench';
import { tempDir } from './support/files.js';
import { readAnswer } from './support/http.js';

/**
 * A property of the live view: whatever the runs folder holds (links to files and
 * folders, inside and outside, chains of them; logs and records that are not what a
 * run writes) and whatever is asked (random paths, encodings, ids and names), no
 * byte of a file outside the runs folder comes back, and the server keeps answering.
 * Bounded in count and time; loopback only. A failure prints its seed.
 */
const TREES = 4;
const REQUESTS = 70;
const SEED = Number(process.env.CF_PROPERTY_SEED ?? Date.now() % 1_000_000);

/** A small seeded generator (mulberry32), so a failure can be replayed with CF_PROPERTY_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}

const RUN_FILES = ['events.jsonl', 'results.json', 'results.md', 'samples.png', 'assignments.csv', 'loss.svg', 'metrics.svg', 'confusion.svg'];

describe(`live view property: no byte from outside the runs folder comes back (seed ${SEED})`, function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => (dir = await tempDir()));
  after(() => rm(dir, { recursive: true, force: true }));

  it('holds for random trees of links and malformed files, and random requests at every route', async () => {
    const r = rng(SEED);
    const deadline = performance.now() + 60_000;
    for (let tree = 0; tree < TREES && performance.now() < deadline; tree++) {
      const base = join(dir, `t${tree}`);
      const root = join(base, 'runs');
      const outside = join(base, 'outside');
      const secret = `S3CRET${randomBytes(8).toString('hex')}`;
      await mkdir(join(outside, 'run-seed0'), { recursive: true });
      // The secret as every kind of file the server reads: a log, a record, a plot, a table.
      const secretLine = (type: string) =>
        JSON.stringify({
          t: 1,
          type,
          config: { name: secret },
          backend: secret,
          writer: { pid: 1, host: secret },
          epoch: 0,
          message: secret,
          status: 'failed',
          error: secret,
        });
      const secretLog = ['run-start', 'warning', 'run-end'].map(secretLine).join('\n') + '\n';
      const secretResults = JSON.stringify({ runs: [{ name: secret, dir: 'run-seed0', status: 'failed', error: secret, config: { name: secret } }] });
      const outsideFiles = [
        join(base, 'secret.jsonl'),
        join(outside, 'run-seed0', 'events.jsonl'),
        join(outside, 'results.json'),
        join(outside, 'run-seed0', 'results.json'),
        join(outside, 'assignments.csv'),
      ];
      await writeFile(outsideFiles[0], secretLog);
      await writeFile(outsideFiles[1], secretLog);
      await writeFile(outsideFiles[2], secretResults);
      await writeFile(outsideFiles[3], secretResults);
      await writeFile(outsideFiles[4], `index,label,cluster\n0,${secret.length},1\n`);

      // Run folders inside, with logs and files that may be anything.
      const runDirs: string[] = [];
      const names: string[] = [];
      for (let i = 0; i < 6; i++) {
        const rel = join(r.pick(['', 'b', 'b/c', 'g/b']), `run${i}-seed0`);
        const d = join(root, rel);
        await mkdir(d, { recursive: true });
        runDirs.push(d);
        names.push(rel);
        const kind = r.int(6);
        const writer = { pid: r.pick([process.pid, 2 ** 30, 0, -1, 1.5]), host: r.pick([hostname(), 'elsewhere']) };
        const good =
          JSON.stringify({ t: 1, type: 'run-start', config: { name: `run${i}`, objective: [{ id: 'cc' }], train: { epochs: 2 } }, backend: 'cpu', writer }) +
          '\n';
        const logs = [
          good +
            JSON.stringify({ t: 2, type: 'step', epoch: 0, step: 0, stepInEpoch: 0, stepsPerEpoch: 1, loss: { total: 1 }, lr: 0.1, imagesPerSec: 1 }) +
            '\n',
          good +
            '{"t":2,"type":"step","loss":null}\n{"type":"epoch-end","metrics":"x"}\n{"type":"complete","summary":{}}\n{"type":"run-end","status":"weird"}\n',
          Buffer.concat([Buffer.from(good), randomBytes(2000), Buffer.from('\n'), Buffer.from([0xff, 0xfe, 0x0a])]),
          good + '{"t":3,"type":"warning","epoch":0,"message":"' + 'w'.repeat(1_200_000) + '"}\n',
          '{"t":"x","type":"run-start","config":[],"writer":{"pid":"1"}}\n{"__proto__":{"polluted":1},"type":"step"}\n',
          randomBytes(3000),
        ];
        await writeFile(join(d, 'events.jsonl'), logs[kind]);
        if (r.next() < 0.5)
          await writeFile(
            join(d, 'results.json'),
            r.pick([
              '{',
              '{"runs":5}',
              '{"runs":[null,{"dir":5},{"dir":"../../outside/run-seed0"},{"dir":"/etc"},{"dir":"__proto__"}]}',
              JSON.stringify({ runs: [{ dir: `run${i}-seed0`, config: 'x', stepLoss: 'x', warnings: 3 }] }),
            ]),
          );
        if (r.next() < 0.3) await writeFile(join(d, 'assignments.csv'), r.pick(['index,label,cluster\n0,1,2\n', 'garbage', '']));
      }
      // Links: to the secret files and outside folders, to files and folders inside, and chains of them.
      const targets = [...outsideFiles, outside, join(outside, 'run-seed0'), base, '/etc/passwd', ...runDirs, ...runDirs.map((d) => join(d, 'events.jsonl'))];
      const links: string[] = [];
      for (let i = 0; i < 14; i++) {
        const d = r.pick(runDirs);
        const name = r.next() < 0.7 ? r.pick(RUN_FILES) : `link${i}`;
        const path = join(d, name);
        const to = r.next() < 0.3 && links.length > 0 ? r.pick(links) : r.pick(targets);
        try {
          await rm(path, { force: true });
          await symlink(to, path);
          links.push(path);
        } catch {
          // a name already a folder: another link next time
        }
      }
      // A bench record that lists the links as runs.
      await writeFile(join(root, 'results.json'), JSON.stringify({ runs: links.map((l) => ({ dir: l.slice(root.length + 1), status: 'ok' })) }));

      const live: LiveView = await startLiveView({ root, port: 0 });
      try {
        const ids = [
          ...names,
          ...links.map((l) => l.slice(root.length + 1)),
          '..',
          '../outside',
          '.',
          '',
          '/',
          '%2e%2e',
          '__proto__',
          'constructor',
          `${names[0]}/..`,
          `${names[0]}/../../outside/run-seed0`,
          '/etc',
          '\u0000',
        ];
        const routes = ['api/runs', 'api/run', 'api/run/file', 'api/run/events', 'api/runs/live', 'vendor/', '', 'app.js', '..', '%2e%2e/%2e%2e/secret.jsonl'];
        const encode = (s: string) =>
          r.pick([encodeURIComponent(s), s, encodeURIComponent(encodeURIComponent(s)), s.replace(/\//g, '%2f'), s.replace(/\./g, '%2e')]);
        for (let i = 0; i < REQUESTS && performance.now() < deadline; i++) {
          const route = r.pick(routes);
          const id = r.pick(ids);
          const name = r.pick([
            ...RUN_FILES,
            '../../secret.jsonl',
            '../../../outside/results.json',
            `link${r.int(14)}`,
            'checkpoints/last.ckpt',
            '__proto__',
            '%00',
          ]);
          const query = route.startsWith('api/run')
            ? `?id=${encode(id)}&name=${encode(name)}`
            : route === 'vendor/'
              ? encode(r.pick(['vega.min.js', '../../package.json', name]))
              : '';
          const url = `${live.url}${route}${query}`;
          const res = await get(url, r.pick<Record<string, string>>([{}, { 'last-event-id': String(r.int(5000)) }, { 'last-event-id': '-5' }]));
          expect(res.text, `${url} (seed ${SEED})`).to.not.include(secret);
          expect(res.text, `${url} (seed ${SEED})`).to.not.include(base);
          expect(res.status, `${url} (seed ${SEED}): ${res.text.slice(0, 300)}`).to.be.oneOf([200, 404, 422]);
        }
      } finally {
        await live.close();
      }
    }
  });
});

/** A GET's status and body (answered within 10 s); event streams are read for 250 ms. */
const get = (url: string, headers: Record<string, string>) => readAnswer(url, { ms: 10_000, bodyMs: 250, headers });
