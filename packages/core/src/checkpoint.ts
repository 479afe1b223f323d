import { createHash, randomBytes } from 'node:crypto';
import { copyFile, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from './backend/tfjs.js';
import { CheckpointError } from './errors.js';
import { throwIfAborted } from './loop/abort.js';
import type { StateValue } from './objective.js';

/** What a checkpoint records besides its arrays. */
export interface CheckpointMeta {
  /** Epochs completed when it was written; a resumed run starts at this epoch. */
  epoch: number;
  /** Steps completed inside epoch `epoch` when written mid-epoch (an interrupted run); 0 or absent at a boundary. */
  stepInEpoch?: number;
  /** Global steps completed. */
  step: number;
  /** The run's RNG state at that point. */
  rng: number[];
  /** Hash of the resolved config minus fields that may change on resume (epochs, checkpoint dir). */
  configHash: string;
  backend: string;
  createdAt: string;
  [key: string]: unknown;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  /** Named arrays: tensors (restored as tensors) and host typed arrays (restored as typed arrays). */
  state: Record<string, StateValue>;
}

/*
 * File layout: MAGIC | u32 header length | header JSON | array bytes | sha256 of all before.
 * The digest makes a truncated or corrupted file detectable before anything is restored.
 */
const MAGIC = Buffer.from('CLUSTERFLOW-CKPT\x01\n', 'latin1');
const DIGEST = 32;

interface Entry {
  name: string;
  kind: 'tensor' | 'host';
  dtype: 'float32' | 'int32';
  shape: number[];
  offset: number;
  length: number;
}

/**
 * Writes to a temporary file in the same folder, syncs it, then renames: a crash
 * never leaves half a checkpoint. An aborted `signal` stops the write before the
 * rename (AbortError) and removes the temporary file.
 */
export async function writeCheckpoint(path: string, ckpt: Checkpoint, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const entries: Entry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, value] of Object.entries(ckpt.state)) {
    throwIfAborted(opts.signal);
    const { kind, dtype, shape, data } = await toArray(name, value);
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    entries.push({ name, kind, dtype, shape, offset, length: buf.length });
    chunks.push(buf);
    offset += buf.length;
  }
  const header = Buffer.from(JSON.stringify({ meta: ckpt.meta, entries }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const body = Buffer.concat([MAGIC, len, header, ...chunks]);
  const digest = createHash('sha256').update(body).digest();

  const tmp = tempPath(path);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(Buffer.concat([body, digest]), { signal: opts.signal });
    await fh.sync();
    throwIfAborted(opts.signal);
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/** Copies a written checkpoint (e.g. to last.ckpt) the same way: to a temporary file, synced, then renamed. */
export async function copyCheckpoint(from: string, to: string): Promise<void> {
  const tmp = tempPath(to);
  try {
    await copyFile(from, tmp);
    const fh = await open(tmp, 'r+');
    await fh.sync();
    await fh.close();
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await rename(tmp, to);
}

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Reads and verifies a checkpoint; a truncated, corrupt or foreign file is refused with the reason. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (file.length < MAGIC.length + 4 || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CheckpointError(`${path} is not a clusterflow checkpoint (bad magic bytes)`);
  }
  const headerLen = file.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLen;
  if (headerEnd > file.length) {
    throw new CheckpointError(`checkpoint ${path} is truncated: header needs ${headerEnd} bytes, file has ${file.length}`);
  }
  let header: { meta: CheckpointMeta; entries: Entry[] };
  try {
    header = JSON.parse(file.subarray(MAGIC.length + 4, headerEnd).toString('utf8'));
  } catch {
    throw new CheckpointError(`checkpoint ${path} is corrupt: its header is not valid JSON`);
  }
  const dataBytes = header.entries.reduce((s, e) => s + e.length, 0);
  const expected = headerEnd + dataBytes + DIGEST;
  if (file.length !== expected) {
    throw new CheckpointError(`checkpoint ${path} is truncated or padded: expected ${expected} bytes, found ${file.length}`);
  }
  const body = file.subarray(0, expected - DIGEST);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(file.subarray(expected - DIGEST))) {
    throw new CheckpointError(`checkpoint ${path} is corrupt: its checksum does not match its contents`);
  }
  const state: Record<string, StateValue> = {};
  for (const e of header.entries) {
    const bytes = file.subarray(headerEnd + e.offset, headerEnd + e.offset + e.length);
    const copy = new Uint8Array(bytes).buffer; // aligned copy
    const data = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    state[e.name] = e.kind === 'host' ? data : tf.tensor(data, e.shape, e.dtype);
  }
  return { meta: header.meta, state };
}

/** Disposes the tensors of a checkpoint read with `readCheckpoint`. */
export function disposeCheckpoint(ckpt: Checkpoint): void {
  for (const v of Object.values(ckpt.state)) if (!ArrayBuffer.isView(v)) (v as tfc.Tensor).dispose();
}

async function toArray(name: string, value: StateValue) {
  if (value instanceof Int32Array) return { kind: 'host' as const, dtype: 'int32' as const, shape: [value.length], data: value };
  if (value instanceof Float32Array) return { kind: 'host' as const, dtype: 'float32' as const, shape: [value.length], data: value };
  const t = value as tfc.Tensor;
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new CheckpointError(`cannot checkpoint '${name}': dtype ${t.dtype} (only float32 and int32)`);
  }
  const data = (await t.data()) as Float32Array | Int32Array;
  return { kind: 'tensor' as const, dtype: t.dtype as 'float32' | 'int32', shape: t.shape, data };
}
