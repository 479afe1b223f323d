import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// What a user gets from npm: every workspace is packed with `npm pack`, the tarballs
// are installed into an empty folder (from the npm cache that `npm ci` filled), and
// the installed CLI trains there. Catches a file missing from "files", a dependency
// only the workspace's hoisting provided, two copies of core or zod, a "source"-only
// export, and a plugin that cannot find the core it registers into.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Workspace {
  dir: string;
  name: string;
  private: boolean;
}

/** The root's workspaces, "dir/*" globs expanded. */
function workspaces(): Workspace[] {
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs = root.workspaces.flatMap((w) =>
    w.endsWith('/*')
      ? readdirSync(join(repoRoot, w.slice(0, -2)), { withFileTypes: true })
          .filter((e) => e.isDirectory() && existsSync(join(repoRoot, w.slice(0, -2), e.name, 'package.json')))
          .map((e) => `${w.slice(0, -2)}/${e.name}`)
      : [w],
  );
  return dirs.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as { name: string; private?: boolean };
    return { dir, name: pkg.name, private: pkg.private === true };
  });
}

/**
 * The environment for npm and node in the scratch project: without what `npm test`
 * or mocha put there for this repository (its workspace, the `source` export
 * condition, tsx), so the scratch project sees the packages as a user would.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' };
  for (const key of Object.keys(env)) {
    if (
      /^npm_(package|lifecycle)_/.test(key) ||
      /^npm_config_(workspaces?|include_workspace_root|global|prefix|local_prefix|location|dry_run|omit|include|package_lock_only|offline)$/i.test(key)
    ) {
      delete env[key];
    }
  }
  delete env.NODE_OPTIONS;
  delete env.INIT_CWD;
  return env;
}

const tail = (text: string, n = 4000) => (text.length > n ? `...${text.slice(-n)}` : text);

/** Runs a command; resolves with its stdout, or rejects with the command, its exit and the end of both outputs. */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 240_000): Promise<string> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(new Error(`\`${cmd} ${args.join(' ')}\` (in ${cwd}) could not start: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (code === 0) {
        done(stdout);
        return;
      }
      const how =
        signal === 'SIGKILL' && Date.now() - started >= timeoutMs ? `timed out after ${seconds} s` : signal ? `died of ${signal}` : `exited with ${code}`;
      fail(new Error(`\`${cmd} ${args.join(' ')}\` (in ${cwd}) ${how}\n--- stdout:\n${tail(stdout)}\n--- stderr:\n${tail(stderr)}`));
    });
  });
}

/** Every installed copy of `name` under `dir`'s node_modules, nested ones included. */
function installedCopies(dir: string, name: string): string[] {
  const found: string[] = [];
  const visit = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return;
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith('.')) continue;
      const pkgs = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((s) => `${entry}/${s}`) : [entry];
      for (const pkg of pkgs) {
        const at = join(nodeModules, pkg);
        if (pkg === name) found.push(at);
        visit(join(at, 'node_modules'));
      }
    }
  };
  visit(join(dir, 'node_modules'));
  return found;
}

/** 48 8-d vectors in 3 well separated groups, with their labels. */
function vectors(): { data: number[][]; labels: number[] } {
  let s = 1;
  const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.3;
  const data: number[][] = [];
  const labels: number[] = [];
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < 16; i++) {
      data.push(Array.from({ length: 8 }, (_, d) => (d % 3 === k ? 3 : 0) + noise()));
      labels.push(k);
    }
  }
  return { data, labels };
}

interface PackEntry {
  name: string;
  filename: string;
  files: { path: string }[];
}

interface RunResultJson {
  status: string;
  error?: string;
  objectives: string[];
  backend: string;
  epochsDone: number;
  metrics: Record<string, number>;
  clusterSizes: Record<string, number[]>;
}

describe('npm pack: the tarballs install and train in an empty folder', function () {
  // Measured on 2 cores, warm npm cache: ~30-40 s (build up to date 1-4 s, pack 2 s, install 12-18 s,
  // each training 4-5 s); a build from scratch adds ~20 s.
  this.timeout(600_000);

  let work: string;
  let project: string;
  let packed: PackEntry[];
  const seconds: Record<string, number> = {};

  async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
    const t = Date.now();
    try {
      return await f();
    } finally {
      seconds[label] = (Date.now() - t) / 1000;
    }
  }

  const clusterflow = (...args: string[]) => run(process.execPath, [join(project, 'node_modules', '.bin', 'clusterflow'), ...args], project);

  before(async function () {
    work = mkdtempSync(join(tmpdir(), 'clusterflow-packaging-'));
    const tarballs = join(work, 'tarballs');
    project = join(work, 'project');
    mkdirSync(tarballs);
    mkdirSync(project);

    // Incremental: quick when `npm test`'s typecheck has just built.
    await timed('build', () => run('npx', ['--no', '--', 'tsc', '-b'], repoRoot));

    const ws = workspaces();
    const out = await timed('pack', () =>
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs, ...ws.flatMap((w) => ['-w', w.dir])], repoRoot),
    );
    packed = JSON.parse(out.slice(out.indexOf('['))) as PackEntry[];
    expect(packed.map((p) => p.name).sort()).to.deep.equal(ws.map((w) => w.name).sort());

    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'clusterflow-packaging-check', private: true, type: 'module' }, null, 2) + '\n');
    // --ignore-scripts: what npm 11 does by default (nothing here needs an install script), on any npm.
    // --prefer-offline: the tarballs come from the cache `npm ci` filled; npm still asks the registry
    // for package documents it holds in another form (npm ci caches abbreviated ones).
    try {
      await timed('install', () =>
        run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...packed.map((p) => join(tarballs, p.filename))], project),
      );
    } catch (err) {
      const offline = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ENETUNREACH|ETIMEDOUT|ENOTCACHED)\b/.exec((err as Error).message);
      if (!offline) throw err;
      console.log(`    skipped: npm cannot reach the registry (${offline[1]}), and the cache lacks what the install needs`);
      this.skip();
    }

    writeFileSync(join(project, 'vectors.json'), JSON.stringify(vectors()));
  });

  after(function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed');
    if (failed || process.env.CLUSTERFLOW_KEEP_PACKAGING) console.log(`    packaging scratch folder kept: ${work}`);
    else if (work) rmSync(work, { recursive: true, force: true });
    console.log(
      `    seconds: ${Object.entries(seconds)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
  });

  it('packs built code and declarations, not sources or build info', () => {
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      expect(files, p.name).to.include('package.json');
      expect(
        files.filter((f) => f.endsWith('.tsbuildinfo')),
        `${p.name}: build info`,
      ).to.deep.equal([]);
      expect(
        files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
        `${p.name}: TypeScript sources`,
      ).to.deep.equal([]);
      const pkg = JSON.parse(readFileSync(join(project, 'node_modules', p.name, 'package.json'), 'utf8')) as {
        exports?: Record<string, { types?: string; default?: string }>;
        main?: string;
      };
      // Every entry point a user can import is in the tarball.
      for (const target of [pkg.main, pkg.exports?.['.']?.default, pkg.exports?.['.']?.types]) {
        if (target) expect(files, `${p.name}: ${target}`).to.include(target.replace(/^\.\//, ''));
      }
    }
  });

  it('installs one core, one TF.js core and one zod, shared by every package', () => {
    for (const name of ['@clusterflow/core', '@tensorflow/tfjs-core', 'zod', 'tsyringe']) {
      expect(installedCopies(project, name), name).to.have.length(1);
    }
    // Optional: loaded when present, never pulled in.
    expect(installedCopies(project, '@tensorflow/tfjs-node'), '@tensorflow/tfjs-node').to.have.length(0);
  });

  it('@clusterflow/objectives neither depends on nor imports @clusterflow/eval', () => {
    const dir = join(project, 'node_modules', '@clusterflow', 'objectives');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(Object.keys(pkg.dependencies ?? {})).to.not.include('@clusterflow/eval');
    expect(Object.keys(pkg.peerDependencies ?? {})).to.not.include('@clusterflow/eval');
    const importing = readdirSync(join(dir, 'dist'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js'))
      .filter((f) => /(from\s*|import\s*\(\s*)['"]@clusterflow\/eval['"]/.test(readFileSync(join(dir, 'dist', f), 'utf8')));
    expect(importing, 'dist files importing @clusterflow/eval').to.deep.equal([]);
  });

  it('every package imports as ESM from the installed folder', async () => {
    const script = `
      const names = ${JSON.stringify(packed.map((p) => p.name))};
      for (const name of names) await import(name);
      const core = await import('@clusterflow/core');
      const native = await import('@clusterflow/native');
      const sum = core.tf.tidy(() => core.tf.sum(core.tf.tensor1d([1, 2, 3])).dataSync()[0]);
      const registers = [];
      for (const n of ['@clusterflow/eval', '@clusterflow/data', '@clusterflow/backbones', '@clusterflow/objectives', 'clusterflow-plugin-example']) {
        if (names.includes(n)) registers.push([n, typeof (await import(n)).register]);
      }
      console.log(JSON.stringify({ sum, native: typeof native.available, registers }));
    `;
    const stdout = await run(process.execPath, ['--input-type=module', '-e', script], project);
    const res = JSON.parse(stdout.trim().split('\n').pop()!) as { sum: number; native: string; registers: [string, string][] };
    expect(res.sum).to.equal(6);
    expect(res.native).to.equal('boolean');
    for (const [name, type] of res.registers) expect(type, `${name}'s register`).to.equal('function');
  });

  async function train(name: string, config: Record<string, unknown>): Promise<RunResultJson> {
    writeFileSync(join(project, `${name}.json`), JSON.stringify(config, null, 2));
    const out = join(project, 'results', name);
    await timed(name, () => clusterflow('train', `${name}.json`, '--out', out, '--backend', 'cpu', '--log-every', '1'));
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: RunResultJson[] };
    expect(results.runs).to.have.length(1);
    const r = results.runs[0];
    expect(r.status, r.error).to.equal('ok');
    expect(r.backend).to.equal('cpu');
    expect(r.epochsDone).to.equal(1);
    for (const m of ['acc', 'nmi', 'ari']) expect(r.metrics[m], m).to.be.a('number').and.not.NaN;
    expect(Object.values(r.clusterSizes)[0].reduce((a, b) => a + b, 0)).to.equal(48);
    return r;
  }

  const tiny = { train: { epochs: 1, batchSize: 16, maxStepsPerEpoch: 2 }, numClusters: 3 };

  it('trains a built-in objective through the installed CLI (simclr: k-means from @clusterflow/eval through core)', async () => {
    const r = await train('simclr', { name: 'simclr', data: { id: 'vectors', options: { path: 'vectors.json' } }, objective: [{ id: 'simclr' }], ...tiny });
    expect(r.objectives).to.deep.equal(['simclr']);
  });

  it("trains a third-party plugin's objective, the plugin finding the installed core", async () => {
    const r = await train('plugin', {
      name: 'plugin',
      plugins: ['clusterflow-plugin-example'],
      data: { id: 'vectors', options: { path: 'vectors.json' } },
      objective: [{ id: 'mutual-info' }],
      ...tiny,
    });
    expect(r.objectives).to.deep.equal(['mutual-info']);
  });
});
