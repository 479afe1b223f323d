/**
 * The addon's sgemm (1024 x 1024 x 1024, its 2 threads) under each OpenBLAS
 * core this CPU runs, one process per core (OpenBLAS reads OPENBLAS_CORETYPE
 * once, at load): what choosing the core is worth here. "own" is OpenBLAS's
 * own pick, with the variable unset; "loader" what the addon's loader gives a
 * user with nothing set (the same unless OpenBLAS picks a generic core).
 *
 *   npx tsx --conditions=source tools/speed/sgemm-cores.ts [--reps 10] [--size 1024]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values: args } = parseArgs({
  options: { reps: { type: 'string', default: '10' }, size: { type: 'string', default: '1024' }, child: { type: 'boolean', default: false } },
});
const n = Number(args.size),
  reps = Number(args.reps);

if (args.child) {
  const native = (await import('@clusterflow/native')).default;
  if (!native.available) throw new Error(`the addon is needed: ${native.reason}`);
  const a = new Float32Array(n * n).map((_, i) => (i % 7) - 3),
    b = new Float32Array(n * n).map((_, i) => (i % 5) - 2),
    c = new Float32Array(n * n);
  const times: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    native.sgemm!(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
    if (r >= 2) times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  const gflops = (ms: number) => (2 * n ** 3) / ms / 1e6;
  console.log(JSON.stringify({ summary: native.openblas?.summary, median: gflops(times[times.length >> 1]), best: gflops(times[0]) }));
} else {
  const me = fileURLToPath(import.meta.url);
  console.log(
    `sgemm ${n}^3, ${reps} reps, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const core of ['Prescott', 'Haswell', 'Zen', 'SkylakeX', 'own']) {
    const env = { ...process.env };
    if (core === 'own') delete env.OPENBLAS_CORETYPE;
    else env.OPENBLAS_CORETYPE = core;
    const r = spawnSync(process.execPath, ['--conditions=source', '--import=tsx', me, '--child', '--reps', String(reps), '--size', String(n)], {
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      console.log(`${core}: failed: ${r.stderr.trim().split('\n').pop()}`);
      continue;
    }
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { summary: string; median: number; best: number };
    console.log(`${core.padEnd(9)} median ${j.median.toFixed(1).padStart(6)} GFLOP/s, best ${j.best.toFixed(1).padStart(6)}  (${j.summary})`);
  }
}
