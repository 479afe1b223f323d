import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePage } from '../build/page-build.js';

describe('page builds: the markup both pages share', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'cf-page-build-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('puts a part in at its marker, indented as the marker, and leaves the rest as it was', async () => {
    const page = '<section>\n    <!-- part: run-head -->\n    <p id="mine"></p>\n</section>\n';
    await writePage(await written('page.html', page), join(dir, 'out.html'));
    const out = (await readFile(join(dir, 'out.html'), 'utf8')).split('\n');
    const part = (await readFile(new URL('../src/page/run-head.html', import.meta.url), 'utf8')).trimEnd().split('\n');
    expect(out).to.deep.equal(['<section>', ...part.map((l) => `    ${l}`), '    <p id="mine"></p>', '</section>', '']);
    // The ids the scripts of report/page fill are among them.
    expect(out.join('\n')).to.include('<p id="run-metrics" class="metrics"></p>');
  });

  it('names the page and the part when the part does not exist', async () => {
    const from = await written('bad.html', '<div>\n  <!-- part: no-such-part -->\n</div>\n');
    let error: Error | undefined;
    await writePage(from, join(dir, 'bad-out.html')).catch((err: Error) => (error = err));
    expect(error?.message).to.include(from).and.include("no part 'no-such-part'");
  });

  async function written(name: string, text: string): Promise<string> {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  }
});
