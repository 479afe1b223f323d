import { DataError } from '../errors.js';

/** The parts of a .npy header a reader needs (NumPy's format, versions 1-3). */
export interface NpyHeader {
  /** NumPy's dtype string, e.g. '<f4', '<f8', '<i8', '|u1'. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first value (the header is padded so that this is a multiple of 16 in files NumPy writes). */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Bytes of one value and how to read it, for the dtypes the readers accept (little-endian or byte-sized). */
export const NPY_DTYPES: Record<string, { bytes: number; kind: 'float' | 'int' }> = {
  '<f4': { bytes: 4, kind: 'float' },
  '<f8': { bytes: 8, kind: 'float' },
  '|i1': { bytes: 1, kind: 'int' },
  '|u1': { bytes: 1, kind: 'int' },
  '<i2': { bytes: 2, kind: 'int' },
  '<u2': { bytes: 2, kind: 'int' },
  '<i4': { bytes: 4, kind: 'int' },
  '<u4': { bytes: 4, kind: 'int' },
  '<i8': { bytes: 8, kind: 'int' },
  '<u8': { bytes: 8, kind: 'int' },
};

/**
 * Parses the header at the start of a .npy file. `head` needs only the first
 * bytes (the header, at most a few hundred in practice); `file` names the file in errors.
 * Written by hand rather than with npyjs: npyjs reads the whole file into memory
 * and hands back its own array, where a reader of a 3 GB file wants only the
 * header and then to read the values straight into one Float32Array.
 */
export function parseNpyHeader(head: Uint8Array, file: string): NpyHeader {
  if (head.length < 10 || !MAGIC.every((b, i) => head[i] === b)) throw new DataError(`'${file}' is not a .npy file (no \\x93NUMPY magic)`);
  const major = head[6];
  if (major < 1 || major > 3) throw new DataError(`'${file}': .npy format version ${major}.${head[7]} is not supported (1.0 to 3.0 are)`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (head.length < 8 + lenBytes) throw new DataError(`'${file}' is truncated inside its .npy header`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  const dataOffset = start + headerLen;
  if (head.length < dataOffset) throw new DataError(`'${file}' is truncated inside its .npy header (${dataOffset} bytes needed, ${head.length} found)`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(start, dataOffset));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(`'${file}': cannot parse its .npy header ${JSON.stringify(text.trim())}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new DataError(`'${file}': bad shape (${shapeText}) in its .npy header`);
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset };
}

/** A .npy header for a C-order array, padded so that the data starts at a multiple of 64 bytes (NumPy's rule). */
export function npyHeaderBytes(descr: string, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const text = dict + ' '.repeat(total - unpadded) + '\n';
  const out = new Uint8Array(total);
  out.set([...MAGIC, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 10);
  return out;
}
