import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type BenchResult, type RunResult } from '@clusterflow/bench';
import { queueSpecsBlocked, TestRedis } from './support/redis.js';
import { capture, cli } from './support/cli.js';
import { tempDir, writeBlobs } from './support/files.js';
import { isRunning, processState } from './support/processes.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** `clusterflow worker` in a process of its own, from source, as on another machine. */
function startWorker(redis: TestRedis, shared: string, ...more: string[]) {
  const args = ['worker', '--queue', redis.url, '--out', shared, '--lock-seconds', '2', '--log-every', '1000', ...more];
  const child = spawn(process.execPath, ['--conditions=source', '--import=tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    exited,
    output: () => out,
    /** Resolves with the first match of `pattern` in the worker's output (its runs' lines included). */
    waitFor: (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = out.match(pattern);
          if (m) resolve(m);
          if (m || child.exitCode !== null || child.signalCode !== null) clearInterval(timer);
          if (!m && (child.exitCode !== null || child.signalCode !== null)) reject(new Error(`worker exited before ${pattern}:\n${out}`));
        }, 10);
      }),
  };
}
type TestWorker = ReturnType<typeof startWorker>;

/** The training processes a worker forked (BullMQ's sandboxed processors), from /proc. */
async function trainingProcesses(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    // Fields after the command's closing parenthesis: state, then the parent's pid.
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && cmdline.includes('bullmq')) found.push(Number(entry));
  }
  return found;
}

const BENCH = `
name: tiny
defaults:
  backend: cpu
  data: { id: vectors, options: { path: blobs.json } }
  backbone: { id: mlp, options: { hidden: [16], featureDim: 8 } }
  train: { epochs: 10, batchSize: 16 }
  eval: { every: 5 }
runs:
  - name: cc
    objective: [{ id: cc, options: { projectionDim: 8 } }]
  - name: simclr
    objective: [{ id: simclr }]
`;

/** What must not depend on where and how often a run was trained. */
const outcome = (r: RunResult) => ({
  name: r.name,
  seed: r.seed,
  status: r.status,
  epochsDone: r.epochsDone,
  metrics: r.metrics,
  clusterSizes: r.clusterSizes,
  stepLoss: r.stepLoss,
  perEpoch: r.perEpoch.map((e) => ({ epoch: e.epoch, loss: e.loss, metrics: e.metrics })),
  warnings: r.warnings,
  files: r.files,
  config: r.config,
});

const blocked = queueSpecsBlocked();

describe('clusterflow bench --queue: runs spread over workers in separate processes', function () {
  this.timeout(240_000);
  let dir: string;
  let config: string;
  let local: BenchResult;
  let redis: TestRedis;
  let workers: TestWorker[] = [];
  // The bench waiting in this process: a test that fails stops it, or it would wait for its runs forever.
  let waiting: { stop: AbortController; done: Promise<{ code: number; out: string; err: string }> } | undefined;

  /** `clusterflow bench --queue ...` in this process, as a test that fails can stop it. */
  function queuedBench(...argv: string[]) {
    const stdout = capture();
    const stderr = capture();
    const stop = new AbortController();
    const done = runCli(argv, { stdout, stderr }, { stop: stop.signal }).then((code) => ({ code, out: stdout.text(), err: stderr.text() }));
    waiting = { stop, done };
    return done;
  }

  before(async function () {
    if (blocked) {
      // CI installs what these specs need (.ci/run): there, a missing piece is a failure, not a skip.
      if (process.env.CI) throw new Error(`the queue specs cannot run: ${blocked}`);
      console.log(`    (skipped: ${blocked})`);
      return this.skip();
    }
    dir = await tempDir();
    await writeBlobs(dir, 64);
    config = join(dir, 'tiny.yaml');
    await writeFile(config, BENCH);
    const res = await cli('bench', config, '--out', join(dir, 'local'), '--seeds', '0,1');
    expect(res.code, res.err).to.equal(0);
    local = JSON.parse(await readFile(join(dir, 'local', 'results.json'), 'utf8'));
  });

  beforeEach(async function () {
    redis = await TestRedis.start(await tempDir());
  });

  afterEach(async () => {
    waiting?.stop.abort();
    await waiting?.done;
    waiting = undefined;
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    workers = [];
    await redis?.stop();
  });

  /** Starts two workers, queues the 4-run bench, kills the first worker to finish epoch 3 of a run, then `during()`; returns the bench's outcome. */
  async function benchWithLostWorker(name: string, during: () => Promise<void> = async () => {}) {
    const shared = join(dir, `${name}-shared`);
    workers = [startWorker(redis, shared), startWorker(redis, shared)];
    await Promise.all(workers.map((w) => w.waitFor(/worker: queue redis:/)));
    const out = join(dir, name);
    const bench = queuedBench('bench', config, '--queue', redis.url, '--out', out, '--seeds', '0,1');
    // Epoch 3 has begun, so the run has a checkpoint (epoch 2) to continue from, and up to 8 epochs to go
    // (on a loaded machine it may have got further before the kill lands).
    const [victim, run] = await Promise.race(workers.map((w) => w.waitFor(/\[tiny (\S+)\] epoch 3\/10 done/).then((m) => [w, m[1]] as const)));
    const training = await trainingProcesses(victim.child.pid!);
    expect(training, 'the killed worker trains in a process of its own').to.have.length(1);
    victim.child.kill('SIGKILL');
    await victim.exited;
    // Its training process stops too, rather than go on writing beside the worker that takes the run over
    // (parent-watch.spec times that alone; here the window allows for a loaded machine).
    const stopped = Date.now();
    while ((await isRunning(training[0])) && Date.now() - stopped < 10_000) await sleep(50);
    expect(
      await isRunning(training[0]),
      `the killed worker's training process, ${Date.now() - stopped} ms after the kill, state ${await processState(training[0])}`,
    ).to.equal(false);
    await during();
    const res = await bench;
    const survivor = workers.find((w) => w !== victim)!;
    // A bench that stopped early says why here (its output and the survivor's), rather than as a missing results.json.
    expect(res.code, `the bench's exit code\n${res.out}${res.err}\n${survivor.output()}`).to.equal(0);
    const results: BenchResult = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    return { res, out, run, victim, survivor, results };
  }

  async function expectSameAsLocal(out: string, results: BenchResult) {
    expect(results.runs.map((r) => r.dir)).to.deep.equal(local.runs.map((r) => r.dir));
    expect(results).to.include({ ok: 4, failed: 0 });
    expect(results.runs.map(outcome)).to.deep.equal(local.runs.map(outcome));
    for (const r of local.runs) {
      expect(await readFile(join(out, r.dir, 'assignments.csv'), 'utf8'), r.dir).to.equal(await readFile(join(dir, 'local', r.dir, 'assignments.csv'), 'utf8'));
    }
  }

  /** Each run ended exactly once: one `ok` from one worker, one end line in the bench's output. */
  function expectEachOnce(res: { out: string }, workersOutput: string) {
    for (const r of local.runs) {
      expect(workersOutput.split(`worker: tiny ${r.dir}: ok`).length - 1, `${r.dir} completions`).to.equal(1);
      expect(res.out.match(new RegExp(`/4 ${r.dir}\\] done in`, 'g')) ?? [], `${r.dir} in the bench's output`).to.have.length(1);
    }
  }

  it('a worker killed with SIGKILL in the middle of a run loses no run: the other continues it from its checkpoint; results equal a local bench', async () => {
    const { res, out, run, victim, survivor, results } = await benchWithLostWorker('killed');
    await expectSameAsLocal(out, results);
    expectEachOnce(res, victim.output() + survivor.output());
    // The survivor continued the run from the record and checkpoint the killed worker left in the shared folder.
    expect(survivor.output()).to.match(
      new RegExp(`\\[tiny ${run}\\] continuing from epoch-000([2-9])\\.ckpt \\(epoch \\1\\) written by \\S+/${victim.child.pid}`),
    );
    const taken = results.runs.find((r) => r.dir === run)!;
    expect(taken.takeovers).to.have.length(1);
    expect(taken.takeovers![0].worker).to.match(new RegExp(`/${survivor.child.pid}$`));
    expect(taken.worker!.id).to.equal(taken.takeovers![0].worker);
    expect(res.out).to.match(new RegExp(`${run}\\] \\S+ \\(cpu\\) continues it from epoch [2-9]`));
  });

  it('the same with Redis restarted during the bench: workers and the waiting bench reconnect, nothing is lost or counted twice', async () => {
    const { res, out, victim, survivor, results } = await benchWithLostWorker('restarted', () => redis.restart());
    await expectSameAsLocal(out, results);
    expectEachOnce(res, victim.output() + survivor.output());
    expect(survivor.child.exitCode, survivor.output()).to.equal(null);
  });

  it('--detach returns once queued and report gathers the bench later; a run that fails by itself is recorded failed, once, not retried', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(
      broken,
      BENCH.replace('backend: cpu', 'backend: auto') +
        '  - name: missing\n    data: { id: vectors, options: { path: missing.json } }\n    objective: [{ id: cc }]\n',
    );
    const out = join(dir, 'detached');
    const queued = await cli('bench', broken, '--queue', redis.url, '--out', out, '--only', 'missing,cc', '--detach');
    expect(queued.code, queued.err).to.equal(0);
    expect(queued.out).to.match(/tiny: 2 runs queued on redis:\/\/127\.0\.0\.1:\d+ as tiny-\S+/);
    expect(queued.out).to.include(`gather the results with: clusterflow report --queue ${redis.url} --out`);
    // Workers may come after the bench was queued; this one overrides the runs' backend.
    const worker = startWorker(redis, join(dir, 'detached-shared'), '--backend', 'cpu');
    workers = [worker];
    const report = await queuedBench('report', '--queue', redis.url, '--out', out);
    expect(report.code, report.out + report.err).to.equal(1);
    expect(worker.output())
      .to.match(/worker: \S+\/\d+: .+, \d+ cores; .+; node v\d+/)
      .and.match(/worker: every run on cpu/);
    const results: BenchResult = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results).to.include({ ok: 1, failed: 1 });
    const [cc, missing] = results.runs;
    expect(outcome(cc)).to.deep.equal(outcome({ ...local.runs[0], config: { ...local.runs[0].config, backend: 'cpu' } }));
    expect(cc.backend).to.equal('cpu');
    expect(missing).to.include({ name: 'missing', status: 'failed' });
    expect(missing.error).to.include('missing.json');
    expect(await readFile(join(out, 'missing-seed0', 'results.md'), 'utf8')).to.include('failed');
    // Taken once and ended once: the failure is the run's result, not a reason to try again.
    expect(worker.output().match(/worker: took tiny missing-seed0/g)).to.have.length(1);
    expect(worker.output()).to.include('worker: tiny missing-seed0: failed');
    expect(await readFile(join(out, 'results.md'), 'utf8')).to.match(/- workers: \S+\/\d+ \(/);
  });
});
