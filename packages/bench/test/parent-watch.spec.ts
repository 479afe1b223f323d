import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isRunning } from './support/processes.js';

const fixture = fileURLToPath(new URL('./support/parent-watch-process.ts', import.meta.url));

/** SIGKILL, where the process may have gone meanwhile. */
function stop(pid: number): boolean {
  try {
    return process.kill(pid, 'SIGKILL');
  } catch {
    return false;
  }
}

describe("a queue worker's training process (queue/parent-watch.ts)", function () {
  this.timeout(30_000);

  for (const mode of ['quiet', 'chatty']) {
    it(`exits soon after its worker's SIGKILL (${mode}${mode === 'chatty' ? ": writing to the dead worker's pipe" : ''})`, async () => {
      const worker = spawn(process.execPath, [...process.execArgv, fixture, 'worker', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      worker.stdout.on('data', (d) => (out += d));
      let training: number | undefined;
      try {
        const started = Date.now();
        while (!/training (\d+)\n[^]*ready/.test(out) && Date.now() - started < 20_000) await sleep(20);
        expect(out, 'the training process started').to.match(/ready/);
        training = Number(/training (\d+)/.exec(out)![1]);
        worker.kill('SIGKILL');
        // Gone in about 0.1 s here; the window allows for a loaded machine, and a process that never notices stays.
        const killed = Date.now();
        while ((await isRunning(training)) && Date.now() - killed < 3000) await sleep(20);
        expect(await isRunning(training), `the training process, ${Date.now() - killed} ms after its worker was killed`).to.equal(false);
      } finally {
        worker.kill('SIGKILL');
        // A training process left over is stopped; one already gone is what the test wants.
        if (training !== undefined) stop(training);
      }
    });
  }
});
