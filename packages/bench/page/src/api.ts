// What the live view's server answers, typed from the server's own declarations
// (type-only imports: nothing of the server is bundled into the page).
import type { RunView } from '../../src/serve/run-view.js';
import type { RunInfo } from '../../src/serve/runs-folder.js';

export type { RunInfo, RunView };

/**
 * A row of /api/runs/live: a run's info, or, for a run whose record the server
 * could not read, its id, name, status and the error alone.
 */
export type RunRow = RunInfo | (Pick<RunInfo, 'id' | 'name' | 'status'> & Partial<RunInfo>);

/** /api/run's answer: the run's view and the files of it the page may link to. */
export interface RunAnswer extends RunView {
  files: string[];
}

/** One line of a run's events.jsonl as the page reads it: a JSON object, unchecked beyond that. */
export type LogLine = Record<string, unknown>;

/** A log line as an object, or undefined when it is not a JSON object (a run's log is a file anyone could have written). */
export function parseLine(text: string): LogLine | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

/** /api/run for `id`; rejects with the server's error text. */
export async function fetchRun(id: string): Promise<RunAnswer> {
  const res = await fetch(`/api/run?id=${encodeURIComponent(id)}`);
  if (!res.ok) throw new Error(((await res.json()) as { error?: string }).error ?? res.statusText);
  return (await res.json()) as RunAnswer;
}

/** The address of one of a run's files. */
export const runFileUrl = (id: string, name: string): string => `/api/run/file?id=${encodeURIComponent(id)}&name=${encodeURIComponent(name)}`;
