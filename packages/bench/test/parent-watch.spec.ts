import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./support/parent-watch-process.ts', import.meta.url));

/** The process's state letter from /proc (R, S, D, Z ...), or undefined when it is gone. */
async function state(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat ? stat.slice(stat.lastIndexOf(')') + 2)[0] : undefined;
}

describe("a queue worker's training process (queue/parent-watch.ts)", function () {
  this.timeout(30_000);

  for (const mode of ['quiet', 'chatty']) {
    it(`exits within a second of its worker's SIGKILL (${mode}${mode === 'chatty' ? ": writing to the dead worker's pipe" : ''})`, async () => {
      const worker = spawn(process.execPath, [...process.execArgv, fixture, 'worker', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      worker.stdout.on('data', (d) => (out += d));
      const started = Date.now();
      while (!/training (\d+)\n[^]*ready/.test(out) && Date.now() - started < 20_000) await sleep(20);
      const training = Number(/training (\d+)/.exec(out)?.[1]);
      expect(out, 'the training process started').to.match(/ready/);
      worker.kill('SIGKILL');
      const killed = Date.now();
      while ((await state(training)) && (await state(training)) !== 'Z' && Date.now() - killed < 1000) await sleep(20);
      const left = await state(training);
      if (left && left !== 'Z') process.kill(training, 'SIGKILL');
      expect(left ?? 'gone', `the training process, ${Date.now() - killed} ms after its worker was killed`).to.be.oneOf(['gone', 'Z']);
    });
  }
});
