/**
 * Runs `task` at most once per `intervalMs` however often it is asked for, never
 * two at once: a request while one runs is served by one more run after it.
 */
export class Throttle {
  private running = false;
  private last = 0;
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  /** Asks for a run: the next one within the interval, once. */
  schedule(): void {
    if (this.pending) return;
    this.pending = setTimeout(
      async () => {
        if (this.running) {
          this.pending = undefined;
          return this.schedule();
        }
        await this.now();
        this.pending = undefined;
      },
      Math.max(0, this.last + this.intervalMs - Date.now()),
    );
  }

  /** Runs the task now (a scheduled run waits for it, and the interval counts from it). */
  async now(): Promise<void> {
    this.running = true;
    this.last = Date.now();
    try {
      await this.task();
    } finally {
      this.running = false;
    }
  }
}
