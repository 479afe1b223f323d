/**
 * Where checkpoint bytes live: files in Node (checkpoint-files.ts), IndexedDB in a
 * browser (checkpoint-indexeddb.ts). Paths are the store's keys: file paths, or
 * addresses resolved against the page. The format (header, arrays, checksum) is
 * checkpoint.ts's and the same everywhere, so a checkpoint downloaded from a page
 * resumes in Node and the other way round.
 */
export interface CheckpointStore {
  /**
   * Stores `bytes` under `path` whole or not at all: a crash or an aborted `signal`
   * (AbortError) leaves what was there before. Folders are made as needed.
   */
  write(path: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** The bytes stored under `path`; an error saying why not (absent, unreadable). */
  read(path: string): Promise<Uint8Array>;
  /**
   * The first `length` bytes stored under `path` (all of them when there are fewer):
   * a checkpoint's header without its arrays, for listing and ordering many.
   */
  readStart(path: string, length: number): Promise<Uint8Array>;
  /** Copies `from` to `to`, as atomically as `write`. */
  copy(from: string, to: string): Promise<void>;
}
