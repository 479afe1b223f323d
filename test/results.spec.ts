import { expect } from 'chai';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkResults } from '../scripts/check-results.js';

const RESULTS = fileURLToPath(new URL('../results', import.meta.url));

describe('committed results recompute to their stated metrics (scripts/check-results.ts)', () => {
  it('every finished run under results/ has its assignments, and its ACC, NMI and ARI recompute from them', async () => {
    const checks = await checkResults(RESULTS);
    expect(checks.length, 'no committed result was checked').to.be.greaterThan(0);
    const wrong = checks.filter((c) => !c.ok).map((c) => `${c.file} ${c.run} ${c.metric}: stated ${c.stated}, recomputed ${c.recomputed}`);
    expect(wrong).to.deep.equal([]);
  });

  it('catches a stated metric that its assignments do not give, and a run whose assignments are missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-results-'));
    try {
      await cp(join(RESULTS, 'default'), dir, { recursive: true });
      const file = join(dir, 'results.json');
      const results = JSON.parse(await readFile(file, 'utf8')) as { runs: { dir: string; metrics: Record<string, number> }[] };
      results.runs[0].metrics.acc += 0.01;
      await writeFile(file, JSON.stringify(results));
      const bad = (await checkResults(dir)).filter((c) => !c.ok);
      expect(bad.map((c) => `${c.file} ${c.metric}`)).to.deep.equal(['results.json acc']);
      await rm(join(dir, results.runs[0].dir), { recursive: true });
      let error: unknown;
      await checkResults(dir).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/has no assignments/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
