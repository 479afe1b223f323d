import type { LogLine } from '../events-file.js';

/** A log line of one type. */
export type LineOf<T extends LogLine['type']> = Extract<LogLine, { type: T }>;

/** The last line of type `type` (that `where` accepts), typed as such. */
export function findLast<T extends LogLine['type']>(lines: readonly LogLine[], type: T, where?: (line: LineOf<T>) => boolean): LineOf<T> | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (line.type === type && (!where || where(line as LineOf<T>))) return line as LineOf<T>;
  }
  return undefined;
}
