/**
 * Longest log line the live view reads: a longer one (a damaged file, or one made to
 * exhaust the server) is skipped, with a note, and its bytes are never held at once.
 */
export const MAX_LINE_BYTES = 1 << 20;
/** How much of a log is read at a time. */
export const CHUNK_BYTES = 256 << 10;

/** What a splitter hands on: a complete line (without its newline), or a note that one was skipped. */
export interface LineSink {
  line(bytes: Buffer, end: number): void;
  skipped(bytes: number, end: number): void;
}

/**
 * Splits a log into lines on bytes, never on decoded text: offsets stay exact
 * whatever the bytes are (an invalid UTF-8 byte used to shift them and defeat the
 * cache), and a line still being written is kept (up to MAX_LINE_BYTES) rather than
 * read again from its start when the file grows.
 */
export class LineSplitter {
  /** The byte just after the last complete line. */
  offset: number;
  /** The byte up to which the file has been consumed (the partial line included). */
  position: number;
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Inside a line over the bound: dropped up to its newline. */
  private skipping = false;

  constructor(from = 0) {
    this.offset = from;
    this.position = from;
  }

  /** Feeds the bytes from `position` on. */
  push(chunk: Buffer, sink: LineSink): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      const end = this.position + nl + 1;
      const length = this.partBytes + nl - start;
      if (this.skipping || length > MAX_LINE_BYTES) sink.skipped(end - this.offset, end);
      else {
        const piece = chunk.subarray(start, nl);
        sink.line(this.partBytes === 0 ? piece : Buffer.concat([...this.parts, piece]), end);
      }
      this.parts = [];
      this.partBytes = 0;
      this.skipping = false;
      this.offset = end;
      start = nl + 1;
    }
    if (start < chunk.length && !this.skipping) {
      // Copied: the chunk's buffer is reused for the next read.
      this.parts.push(Buffer.from(chunk.subarray(start)));
      this.partBytes += chunk.length - start;
      if (this.partBytes > MAX_LINE_BYTES) {
        this.parts = [];
        this.partBytes = 0;
        this.skipping = true;
      }
    }
    this.position += chunk.length;
  }
}
