import { throwIfAborted } from '../../loop/abort.js';
import type { CheckpointStore } from '../checkpoint-store.js';

/** The database and object store a page's checkpoints go to (one per origin, as IndexedDB is). */
export const CHECKPOINT_DB = 'clusterflow';
export const CHECKPOINT_OBJECTS = 'checkpoints';

/**
 * Checkpoints in the browser's IndexedDB, keyed by their resolved address. Each
 * write is one transaction, so a closed tab never leaves half a checkpoint.
 */
export const checkpointIndexedDb: CheckpointStore = {
  async write(path, bytes, signal) {
    throwIfAborted(signal);
    // A copy the caller cannot change while the transaction runs.
    await request('readwrite', (s) => s.put(bytes.slice(), path));
  },

  async read(path) {
    const value = await request('readonly', (s) => s.get(path));
    if (!(value instanceof Uint8Array)) throw new Error(`no checkpoint stored under '${path}' in IndexedDB '${CHECKPOINT_DB}'`);
    return value;
  },

  // IndexedDB hands back whole values; a page keeps few checkpoints, so slicing costs little.
  async readStart(path, length) {
    return (await this.read(path)).subarray(0, length);
  },

  async copy(from, to) {
    await this.write(to, await this.read(from));
  },
};

let opened: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  if (opened) return opened;
  opened = new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('this browser has no IndexedDB to keep checkpoints in'));
    const open = indexedDB.open(CHECKPOINT_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(CHECKPOINT_OBJECTS);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error ?? new Error(`cannot open IndexedDB '${CHECKPOINT_DB}'`));
  });
  // A failure (private mode, storage refused) is reported, and the next call tries again.
  opened.catch(() => (opened = undefined));
  return opened;
}

/** One request in its own transaction; resolves when the transaction has committed. */
async function request<T>(mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await database();
  return new Promise<T>((resolve, reject) => {
    const tx = db.transaction(CHECKPOINT_OBJECTS, mode);
    const req = make(tx.objectStore(CHECKPOINT_OBJECTS));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error ?? req.error ?? new Error(`IndexedDB '${CHECKPOINT_DB}' refused the ${mode} request`));
    tx.onabort = () => reject(tx.error ?? new Error(`IndexedDB '${CHECKPOINT_DB}': the transaction was aborted`));
  });
}
