import { stat } from 'node:fs/promises';
import { logHead, readBytes } from './log-file.js';

export interface FollowHandlers {
  /** A complete line and the byte offset just after it (where to resume from). */
  line(text: string, end: number): void;
  /** The file was started afresh (a new run in the same folder): what was sent no longer holds. */
  reset(): void;
}

/**
 * `tail -f` for an append-only log: sends its complete lines from byte `from` on,
 * then polls for more every `intervalMs` (cheap, and works on every file system,
 * unlike change notifications). A file that does not exist yet is waited for.
 * Returns a function that stops following.
 */
export function followFile(path: string, from: number, on: FollowHandlers, intervalMs = 250): () => void {
  let offset = from;
  let head: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const { size } = await stat(path);
      const now = await logHead(path, size);
      // A new run removes the old log and writes another: it starts differently, or is shorter.
      if ((head !== undefined && now !== head) || size < offset) {
        offset = 0;
        if (!stopped) on.reset();
      }
      head = now;
      if (size > offset) offset = sendLines(await readBytes(path, offset, size), offset, on);
    } catch {
      // not written yet, or being replaced: the next tick looks again
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Sends the complete lines of `buf` (read from byte `start`) and returns the offset after the last one. */
function sendLines(buf: Buffer, start: number, on: FollowHandlers): number {
  let offset = start;
  let lineStart = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, lineStart)) {
    const text = buf.subarray(lineStart, i).toString('utf8');
    lineStart = i + 1;
    offset = start + lineStart;
    if (text.trim()) on.line(text, offset);
  }
  return offset;
}
