import { checkpointStore } from '@clusterflow/core';

/** Offers the checkpoint stored under `key` (IndexedDB) as a file download; `clusterflow eval` reads it in Node. */
export async function downloadCheckpoint(key: string, fileName: string): Promise<void> {
  const bytes = await checkpointStore.read(key);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  try {
    Object.assign(document.createElement('a'), { href: url, download: fileName }).click();
  } finally {
    // The click has started the download by now; the address is no longer needed.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}
