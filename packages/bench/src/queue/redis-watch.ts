import { Redis } from 'ioredis';
import type { QueueAddress } from './connection.js';

/** How often the worker asks whether Redis answers, and how often it says it does not. */
const PING_MS = 2000;
const SAY_MS = 30_000;

/**
 * Watches whether Redis answers (a ping every 2 s on a connection of its own): while it
 * does not, says so every 30 s, with how long; after `giveUpAfterS` seconds without an
 * answer (when given), calls `giveUp`. Returns the stop.
 */
export function watchRedis(address: QueueAddress, say: (text: string) => void, giveUpAfterS: number | undefined, giveUp: (reason: string) => void): () => void {
  const client = new Redis({ ...address.connection, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => PING_MS });
  client.on('error', () => {}); // the worker's own connection reports errors (sayErrors)
  let downSince: number | undefined;
  let saidAt = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      if (client.status === 'wait' || client.status === 'end') await client.connect().catch(() => {});
      await client.ping();
      if (downSince !== undefined) say(`Redis at ${address.display} answers again`);
      downSince = undefined;
    } catch {
      const now = Date.now();
      downSince ??= now;
      const down = (now - downSince) / 1000;
      if (giveUpAfterS !== undefined && down >= giveUpAfterS) {
        giveUp(`Redis at ${address.display} has not answered for ${down.toFixed(0)} s (--give-up-after ${giveUpAfterS})`);
        return;
      }
      if (now - saidAt >= SAY_MS) {
        saidAt = now;
        say(
          `cannot reach Redis at ${address.display} for ${down.toFixed(0)} s; still trying${giveUpAfterS !== undefined ? ` (giving up after ${giveUpAfterS} s)` : ''}`,
        );
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), PING_MS);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    client.disconnect();
  };
}
