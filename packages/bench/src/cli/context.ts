/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Exit codes: 0 all ok, 1 a run failed or an error, 2 a usage or config error, 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, runFailed: 1, usage: 2, interrupted: 130 } as const;

/** What the process gives the CLI besides its streams: the Ctrl-C signal. */
export interface CliContext {
  /** Aborted at the first Ctrl-C: the run in progress stops at its next step with a checkpoint. */
  stop?: AbortSignal;
}

/** What actions leave behind: the exit code, and what to close on the way out (a live view's server). */
export interface CliState {
  code: number;
  atExit?: (() => Promise<void>)[];
}

/** What each command is added with: the streams, where its action sets the exit code, and Ctrl-C. */
export interface CommandContext {
  io: CliIo;
  state: CliState;
  cli: CliContext;
}
