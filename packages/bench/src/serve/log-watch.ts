import { stat } from 'node:fs/promises';

/** How often a followed log is looked at for changes. */
export const WATCH_MS = 250;

interface Watched {
  users: number;
  signature?: string;
  timer?: NodeJS.Timeout;
  waiters: (() => void)[];
}

/**
 * One poll per log, whatever the number of clients following it: each client waits
 * here for the log to change (grow, or be replaced) instead of reading it again.
 * Polling rather than change notifications works on every file system.
 */
export class LogWatches {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly intervalMs = WATCH_MS) {}

  /** Starts watching `path` for one client; `release` when the client goes. */
  watch(path: string): { changed(): Promise<void>; release(): void } {
    let w = this.watched.get(path);
    if (!w) {
      const fresh: Watched = { users: 0, waiters: [] };
      this.watched.set(path, (w = fresh));
      const tick = async () => {
        let signature = 'absent';
        try {
          const st = await stat(path);
          signature = `${st.size}:${st.mtimeMs}:${st.ino}`;
        } catch {
          // not written yet, or being replaced
        }
        if (signature !== fresh.signature) {
          fresh.signature = signature;
          for (const wake of fresh.waiters.splice(0)) wake();
        }
        if (fresh.users > 0) fresh.timer = setTimeout(tick, this.intervalMs);
      };
      void tick();
    }
    const entry = w;
    entry.users++;
    let released = false;
    return {
      changed: () => new Promise<void>((r) => (released ? r() : entry.waiters.push(r))),
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        for (const wake of entry.waiters.splice(0)) wake();
        if (entry.users === 0) {
          clearTimeout(entry.timer);
          this.watched.delete(path);
        }
      },
    };
  }

  close(): void {
    for (const w of this.watched.values()) {
      w.users = 0;
      clearTimeout(w.timer);
      for (const wake of w.waiters.splice(0)) wake();
    }
    this.watched.clear();
  }
}
