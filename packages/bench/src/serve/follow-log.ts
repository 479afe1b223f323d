import type { Confinement } from './confined.js';
import { LineSplitter } from './line-splitter.js';
import { logHead } from './log-file.js';
import type { LogWatches } from './log-watch.js';
import { frame, type EventStream } from './sse.js';

/**
 * `tail -f` of a run's log onto one client's event stream: its complete lines from
 * byte `from` on (each event's id is the byte offset after it), then each line as
 * it is appended; a `reset` event when the file is started afresh (a new run in the
 * same folder). Read in bounded chunks, and no more until the client has taken
 * the last one, so a slow client costs a chunk, not the log. Each read goes
 * through the confinement: a log that is, or becomes, a link outside is not read.
 */
export async function followLog(path: string, from: number, stream: EventStream, confinement: Confinement, watches: LogWatches): Promise<void> {
  const watch = watches.watch(path);
  stream.onClose(watch.release);
  let splitter = new LineSplitter(from);
  let head: string | undefined;
  const buf = Buffer.alloc(STREAM_CHUNK_BYTES);
  try {
    while (!stream.closed) {
      const changed = watch.changed();
      const file = await confinement.open(path);
      if (file) {
        try {
          const now = await logHead(file.fh, file.size);
          // A new run removes the old log and writes another: it starts differently, or is shorter.
          if ((head !== undefined && now !== head) || file.size < splitter.position) {
            splitter = new LineSplitter(0);
            stream.send('{}', { event: 'reset' });
          }
          head = now;
          while (!stream.closed && splitter.position < file.size) {
            const { bytesRead } = await file.fh.read(buf, 0, Math.min(buf.length, file.size - splitter.position), splitter.position);
            if (bytesRead === 0) break;
            const out: Buffer[] = [];
            splitter.push(buf.subarray(0, bytesRead), {
              line: (bytes, end) => void (isBlank(bytes) || out.push(lineEvent(bytes, end))),
              skipped: (bytes, end) =>
                void out.push(Buffer.from(frame(JSON.stringify({ bytes, reason: 'line too long' }), { event: 'skipped', id: String(end) }))),
            });
            if (out.length > 0 && !stream.write(Buffer.concat(out))) await stream.drained();
          }
        } finally {
          await file.fh.close();
        }
      }
      await changed;
    }
  } finally {
    watch.release();
  }
}

/**
 * Read per step of a stream: small enough that many clients catching up on a long
 * log take turns with the rest of the server (the runs list stays quick).
 */
const STREAM_CHUNK_BYTES = 64 << 10;

const isBlank = (b: Buffer) => b.every((c) => c === 0x20 || c === 0x09 || c === 0x0d);

/**
 * A log line as an event, framed on its bytes (no decoding and encoding again). A
 * carriage return would end the event's data line early: a log's JSON holds none
 * outside its strings (which escape them), so they are dropped.
 */
function lineEvent(line: Buffer, end: number): Buffer {
  const data = line.includes(0x0d) ? Buffer.from(line.filter((c) => c !== 0x0d)) : line;
  return Buffer.concat([Buffer.from(`id: ${end}\ndata: `), data, NEWLINES]);
}
const NEWLINES = Buffer.from('\n\n');
