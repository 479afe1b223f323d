import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataError } from '../errors.js';
import { NPY_DTYPES, npyHeaderBytes, parseNpyHeader, type NpyHeader } from './npy-header.js';
import { checkLabel } from './labels.js';

/** Vectors read from a file: N * dim values back to back, and labels when the file has them. */
export interface VectorTable {
  data: Float32Array;
  dim: number;
  labels?: Int32Array;
}

/** Bytes per read: large enough to be fast, small enough that a float64 file's conversion buffer stays small. */
const CHUNK = 64 << 20;

/**
 * Reads a 2-D float32 or float64 C-order .npy (N, dim) into one Float32Array.
 * float32 values are read straight into that array's memory, chunk by chunk: a
 * 1,000,000 x 768 file costs its 3 GB once, never a JS array or a second copy.
 */
export function readNpyVectors(path: string): VectorTable {
  return withFile(path, (fd, size) => {
    const h = readHeader(fd, path);
    const dtype = NPY_DTYPES[h.descr];
    if (!dtype || dtype.kind !== 'float') {
      throw new DataError(
        `'${path}': dtype '${h.descr}' is not a vector dtype; expected float32 ('<f4') or float64 ('<f8'), e.g. save a.astype(np.float32)${bigEndianHint(h.descr)}`,
      );
    }
    if (h.shape.length !== 2) throw new DataError(`'${path}': expected a 2-D array (N, dim), found shape (${h.shape.join(', ')})`);
    const [n, dim] = h.shape;
    if (dim === 0) throw new DataError(`'${path}': vectors of length 0 (shape (${n}, 0))`);
    checkLength(path, h, size, dtype.bytes, dim);
    const out = new Float32Array(n * dim);
    if (dtype.bytes === 4) {
      readInto(fd, path, new Uint8Array(out.buffer), h.dataOffset);
    } else {
      const chunk = new Float64Array(CHUNK / 8);
      const bytes = new Uint8Array(chunk.buffer);
      for (let at = 0; at < out.length; at += chunk.length) {
        const count = Math.min(chunk.length, out.length - at);
        readInto(fd, path, bytes.subarray(0, count * 8), h.dataOffset + at * 8);
        out.set(chunk.subarray(0, count), at);
      }
    }
    return { data: out, dim };
  });
}

/** Reads integer labels from a 1-D (N,) or (N, 1) .npy of any integer dtype, or of floats that are whole numbers. */
export function readNpyLabels(path: string): Int32Array {
  return withFile(path, (fd, size) => {
    const h = readHeader(fd, path);
    const dtype = NPY_DTYPES[h.descr];
    if (!dtype)
      throw new DataError(`'${path}': dtype '${h.descr}' cannot hold labels; expected an integer dtype such as int64 ('<i8')${bigEndianHint(h.descr)}`);
    if (!(h.shape.length === 1 || (h.shape.length === 2 && h.shape[1] === 1))) {
      throw new DataError(`'${path}': labels must be a 1-D array (N,), found shape (${h.shape.join(', ')})`);
    }
    const n = h.shape[0];
    checkLength(path, h, size, dtype.bytes, 1);
    const raw = new Uint8Array(n * dtype.bytes);
    readInto(fd, path, raw, h.dataOffset);
    const values = typedView(h.descr, raw.buffer);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = checkLabel(values[i], path, `row ${i}`, 'label');
    return out;
  });
}

/** The bytes of a C-order float32 .npy of `shape` holding `data` (what `predict --features` writes). */
export function npyBytes(data: Float32Array, shape: readonly number[]): Uint8Array {
  const header = npyHeaderBytes('<f4', shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

function withFile<T>(path: string, body: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new DataError(`cannot read '${path}': ${(err as Error).message}`, { cause: err });
  }
  try {
    return body(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function readHeader(fd: number, path: string): NpyHeader {
  // NumPy's headers are padded to 64 bytes and rarely exceed 128; 64 KiB covers any it writes.
  const head = new Uint8Array(65536);
  const got = readSync(fd, head, 0, head.length, 0);
  const h = parseNpyHeader(head.subarray(0, got), path);
  if (h.fortranOrder) throw new DataError(`'${path}': Fortran-order arrays are not read; save np.ascontiguousarray(a) instead`);
  return h;
}

function checkLength(path: string, h: NpyHeader, size: number, bytes: number, rowValues: number): void {
  const n = h.shape[0];
  const want = h.dataOffset + n * rowValues * bytes;
  if (size < want) {
    const whole = Math.max(0, Math.floor((size - h.dataOffset) / (rowValues * bytes)));
    throw new DataError(
      `'${path}' is truncated: its header says shape (${h.shape.join(', ')}) of '${h.descr}', ${want} bytes in all; the file has ${size} (row ${whole} is the first incomplete one)`,
    );
  }
  if (size > want) throw new DataError(`'${path}' has ${size - want} bytes after the shape (${h.shape.join(', ')}) its header declares`);
}

function readInto(fd: number, path: string, into: Uint8Array, position: number): void {
  for (let done = 0; done < into.length;) {
    const got = readSync(fd, into, done, Math.min(CHUNK, into.length - done), position + done);
    if (got === 0) throw new DataError(`'${path}' ended early, at byte ${position + done}`);
    done += got;
  }
}

function typedView(descr: string, buf: ArrayBuffer): ArrayLike<number | bigint> {
  switch (descr) {
    case '|i1':
      return new Int8Array(buf);
    case '|u1':
      return new Uint8Array(buf);
    case '<i2':
      return new Int16Array(buf);
    case '<u2':
      return new Uint16Array(buf);
    case '<i4':
      return new Int32Array(buf);
    case '<u4':
      return new Uint32Array(buf);
    case '<i8':
      return new BigInt64Array(buf);
    case '<u8':
      return new BigUint64Array(buf);
    case '<f4':
      return new Float32Array(buf);
    default:
      return new Float64Array(buf);
  }
}

const bigEndianHint = (descr: string) => (descr.startsWith('>') ? ` (this file is big-endian: save a.astype(a.dtype.newbyteorder('<')))` : '');
