import { platform } from '#platform';
import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from './backend/tfjs.js';
import { CheckpointError } from './errors.js';
import { throwIfAborted } from './loop/abort.js';
import type { StateValue } from './objective.js';
import type { CheckpointStore } from './platform/checkpoint-store.js';
import { sha256 } from './sha256.js';

export type { CheckpointStore };

/** Where this host keeps checkpoints: files in Node, IndexedDB in a browser (keyed by address). */
export const checkpointStore: CheckpointStore = platform.checkpoints;

/** What a checkpoint records besides its arrays. */
export interface CheckpointMeta {
  /** Epochs (of stage `stage`) completed when it was written; a resumed run starts at this epoch. */
  epoch: number;
  /** The stage of a multi-stage run it was written in (absent or 0: the first or only one). */
  stage?: number;
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
  /** The shape of one sample of the run's data (absent in checkpoints written before 2026-12-07). */
  sampleShape?: number[];
  /** The run's cluster count (absent in checkpoints written before 2026-12-07). */
  numClusters?: number;
  [key: string]: unknown;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  /** Named arrays: tensors (restored as tensors) and host typed arrays (restored as typed arrays). */
  state: Record<string, StateValue>;
}

/*
 * Layout: MAGIC | u32 header length (little-endian) | header JSON | array bytes | sha256 of all before.
 * The digest makes a truncated or corrupted checkpoint detectable before anything is restored.
 */
const MAGIC = new TextEncoder().encode('CLUSTERFLOW-CKPT\x01\n');
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
 * Writes a checkpoint to `path` in the host's store, whole or not at all (files:
 * a temporary file, synced, then renamed). An aborted `signal` stops the write
 * before it lands (AbortError) and leaves nothing behind.
 */
export async function writeCheckpoint(path: string, ckpt: Checkpoint, opts: { signal?: AbortSignal } = {}): Promise<void> {
  await checkpointStore.write(path, await encodeCheckpoint(ckpt, opts.signal), opts.signal);
}

/** A checkpoint's bytes, checksum included: what `writeCheckpoint` stores and a page offers as a download. */
export async function encodeCheckpoint(ckpt: Checkpoint, signal?: AbortSignal): Promise<Uint8Array> {
  const entries: Entry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, value] of Object.entries(ckpt.state)) {
    throwIfAborted(signal);
    const { kind, dtype, shape, data } = await toArray(name, value);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    entries.push({ name, kind, dtype, shape, offset, length: bytes.length });
    chunks.push(bytes);
    offset += bytes.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta: ckpt.meta, entries }));
  const bodyLength = MAGIC.length + 4 + header.length + offset;
  const file = new Uint8Array(bodyLength + DIGEST);
  file.set(MAGIC, 0);
  new DataView(file.buffer).setUint32(MAGIC.length, header.length, true);
  file.set(header, MAGIC.length + 4);
  let at = MAGIC.length + 4 + header.length;
  for (const c of chunks) {
    file.set(c, at);
    at += c.length;
  }
  file.set(await sha256(file.subarray(0, bodyLength)), bodyLength);
  return file;
}

/** Copies a stored checkpoint (e.g. to last.ckpt) the same way as `writeCheckpoint` stores one. */
export async function copyCheckpoint(from: string, to: string): Promise<void> {
  await checkpointStore.copy(from, to);
}

/** Reads and verifies a checkpoint; a truncated, corrupt or foreign one is refused with the reason. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  return decodeCheckpoint(await checkpointBytes(path), path);
}

/** A checkpoint file's bytes, or its first `length`; a file that cannot be read is a CheckpointError naming it. */
async function checkpointBytes(path: string, length?: number): Promise<Uint8Array> {
  try {
    return await (length === undefined ? checkpointStore.read(path) : checkpointStore.readStart(path, length));
  } catch (err) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** A checkpoint from its bytes (`name` says where they came from, in errors). */
export async function decodeCheckpoint(file: Uint8Array, name: string): Promise<Checkpoint> {
  const { header, headerEnd } = await verifyCheckpoint(file, name);
  const state: Record<string, StateValue> = {};
  for (const e of header.entries) {
    const copy = file.slice(headerEnd + e.offset, headerEnd + e.offset + e.length).buffer; // aligned copy
    const data = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    state[e.name] = e.kind === 'host' ? data : tf.tensor(data, e.shape, e.dtype);
  }
  return { meta: header.meta, state };
}

/**
 * What a checkpoint records besides its arrays, after the same checks as
 * `readCheckpoint`, without making a tensor: a caller can learn the run's config
 * (its backend) before any tensor lands on a backend.
 */
export async function readCheckpointMeta(path: string): Promise<CheckpointMeta> {
  return (await verifyCheckpoint(await checkpointBytes(path), path)).header.meta;
}

/**
 * What a checkpoint records besides its arrays, from its header alone: its arrays
 * and checksum are neither read nor checked. For ordering a run folder's many
 * checkpoints (a 115-epoch ConvNet run's are 1.3 GB) by the progress each records;
 * the one chosen is then read with `readCheckpoint`, which checks it whole.
 */
export async function peekCheckpointMeta(path: string): Promise<CheckpointMeta> {
  // The length is read first, and trusted only after the magic bytes: a foreign file's could ask for gigabytes.
  const headerEnd = headerEndOf(await checkpointBytes(path, MAGIC.length + 4), path);
  return parseHeader(await checkpointBytes(path, headerEnd), path).header.meta;
}

/** Where a checkpoint's header ends, from its first bytes (magic and length); throws when they do not start a checkpoint. */
function headerEndOf(start: Uint8Array, name: string): number {
  // Judged on the bytes there are: a file cut short inside its header is truncated, not foreign.
  if (!MAGIC.subarray(0, Math.min(start.length, MAGIC.length)).every((b, i) => start[i] === b) || start.length === 0) {
    throw new CheckpointError(`${name} is not a clusterflow checkpoint (bad magic bytes)`);
  }
  if (start.length < MAGIC.length + 4) {
    throw new CheckpointError(`checkpoint ${name} is truncated: ${start.length} bytes, shorter than its header`);
  }
  return MAGIC.length + 4 + new DataView(start.buffer, start.byteOffset, start.byteLength).getUint32(MAGIC.length, true);
}

/** The header at the start of a checkpoint's bytes (`start` holds at least the header), and where it ends; throws with the reason when it is not one. */
function parseHeader(start: Uint8Array, name: string): { header: { meta: CheckpointMeta; entries: Entry[] }; headerEnd: number } {
  const headerEnd = headerEndOf(start, name);
  if (headerEnd > start.length) {
    throw new CheckpointError(`checkpoint ${name} is truncated: header needs ${headerEnd} bytes, file has ${start.length}`);
  }
  let header: { meta: CheckpointMeta; entries: Entry[] };
  try {
    header = JSON.parse(new TextDecoder().decode(start.subarray(MAGIC.length + 4, headerEnd)));
  } catch {
    throw new CheckpointError(`checkpoint ${name} is corrupt: its header is not valid JSON`);
  }
  // Someone else's file: the header's shape is checked before it is used.
  const entryOk = (e: Entry) =>
    typeof e?.name === 'string' &&
    ['tensor', 'host'].includes(e.kind) &&
    ['float32', 'int32'].includes(e.dtype) &&
    Array.isArray(e.shape) &&
    Number.isSafeInteger(e.offset) &&
    Number.isSafeInteger(e.length) &&
    e.offset >= 0 &&
    e.length >= 0;
  if (typeof header?.meta !== 'object' || header.meta === null || !Array.isArray(header.entries) || !header.entries.every(entryOk)) {
    throw new CheckpointError(`checkpoint ${name} is corrupt: its header does not describe a checkpoint`);
  }
  return { header, headerEnd };
}

/** The header of a checkpoint whose bytes are whole (magic, lengths, checksum); throws with the reason otherwise. */
async function verifyCheckpoint(file: Uint8Array, name: string): Promise<{ header: { meta: CheckpointMeta; entries: Entry[] }; headerEnd: number }> {
  const { header, headerEnd } = parseHeader(file, name);
  const dataBytes = header.entries.reduce((s, e) => s + e.length, 0);
  const expected = headerEnd + dataBytes + DIGEST;
  if (file.length !== expected) {
    throw new CheckpointError(`checkpoint ${name} is truncated or padded: expected ${expected} bytes, found ${file.length}`);
  }
  const digest = await sha256(file.subarray(0, expected - DIGEST));
  const stored = file.subarray(expected - DIGEST);
  if (!digest.every((b, i) => stored[i] === b)) {
    throw new CheckpointError(`checkpoint ${name} is corrupt: its checksum does not match its contents`);
  }
  return { header, headerEnd };
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
