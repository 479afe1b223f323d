import type { ImageFileEntry } from '@clusterflow/data/browser';

const IMAGE_NAME = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;

const isImage = (file: File) => file.type.startsWith('image/') || IMAGE_NAME.test(file.name);

/** The images of a file input (a folder input gives each file's path inside the folder). */
export function entriesFromInput(input: HTMLInputElement): ImageFileEntry[] {
  return [...(input.files ?? [])].filter(isImage).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** The images dropped on the page, folders walked, each with its path (`cats/1.png`). */
export async function entriesFromDrop(transfer: DataTransfer): Promise<ImageFileEntry[]> {
  const roots = [...transfer.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const found: ImageFileEntry[] = [];
  for (const root of roots) await walk(root, found);
  return found;
}

async function walk(entry: FileSystemEntry, found: ImageFileEntry[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    if (isImage(file)) found.push({ file, path: entry.fullPath.replace(/^\//, '') });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries answers in batches (100 in Chromium) until it answers none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, found);
  }
}
