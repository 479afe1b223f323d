import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { relative, isAbsolute } from 'node:path';

/** A file opened inside the runs folder: its handle, real path and size when opened. */
export interface ConfinedFile {
  fh: FileHandle;
  real: string;
  size: number;
  mtime: number;
}

/**
 * Everything the live view reads goes through here: a path is followed through every
 * link (files, folders, chains of them) and refused unless where it really leads lies
 * inside the runs folder's real path. The runs folder is untrusted (anyone who can
 * write a run folder could plant a link to /etc/passwd), so a lexical check of the
 * request is not enough: links inside the folder must be resolved too.
 */
export class Confinement {
  private realRoot: string | undefined;

  constructor(readonly root: string) {}

  /** The runs folder's real path; undefined while it does not exist (a bench not started yet). */
  async rootReal(): Promise<string | undefined> {
    if (this.realRoot === undefined) {
      try {
        this.realRoot = await realpath(this.root);
      } catch {
        return undefined;
      }
    }
    return this.realRoot;
  }

  /** Whether a real path is the runs folder or lies inside it. */
  contains(realRoot: string, real: string): boolean {
    const rel = relative(realRoot, real);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  }

  /** The real path of `path` when it exists and leads inside the runs folder; undefined otherwise. */
  async resolve(path: string): Promise<string | undefined> {
    const root = await this.rootReal();
    if (root === undefined) return undefined;
    try {
      const real = await realpath(path);
      return this.contains(root, real) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Opens `path` for reading when it is a regular file inside the runs folder. The
   * real path is opened with O_NOFOLLOW, so a link swapped in for the file after the
   * check is refused rather than followed.
   */
  async open(path: string): Promise<ConfinedFile | undefined> {
    const real = await this.resolve(path);
    if (real === undefined) return undefined;
    let fh: FileHandle;
    try {
      fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new Error('not a file');
      return { fh, real, size: st.size, mtime: st.mtimeMs };
    } catch {
      await fh.close();
      return undefined;
    }
  }
}
