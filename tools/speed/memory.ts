/**
 * Memory figures for the throughput benches, TF.js side: the bytes of the wasm
 * backend's live tensor buffers (data shared by several tensors counted once)
 * and their peak, the wasm heap's size (it only grows, so it is its high-water
 * mark: what must fit in 4 GiB), and the process's peak resident memory.
 * PyTorch's side is torch_resnet18.py's peak RSS.
 */
import { tf } from '@clusterflow/core';

/** The slice of BackendWasm read here: its tensor table and its heap. */
interface WasmInternals {
  dataIdMap: { set(id: object, d: { shape: number[]; dtype: string }): void; delete(id: object): boolean };
  wasm: { HEAPU8: Uint8Array };
}

export interface TensorBytes {
  /** Live bytes now. */
  current(): number;
  /** The most live bytes since the last resetPeak(). */
  peak(): number;
  resetPeak(): void;
}

/**
 * Counts the wasm backend's buffers from now on, by watching its tensor table
 * (every allocation is a set, every release a delete). Install it before
 * creating the tensors to be counted.
 */
export function trackWasmTensorBytes(): TensorBytes {
  const map = (tf.backend() as unknown as WasmInternals).dataIdMap;
  const sizes = new WeakMap<object, number>();
  let current = 0,
    peak = 0;
  const set = map.set.bind(map),
    del = map.delete.bind(map);
  map.set = (id, d) => {
    if (!sizes.has(id)) {
      const bytes = d.dtype === 'string' ? 0 : tf.util.sizeFromShape(d.shape) * tf.util.bytesPerElement(d.dtype as 'float32');
      sizes.set(id, bytes);
      current += bytes;
      peak = Math.max(peak, current);
    }
    set(id, d);
  };
  map.delete = (id) => {
    current -= sizes.get(id) ?? 0;
    sizes.delete(id);
    return del(id);
  };
  return {
    current: () => current,
    peak: () => peak,
    resetPeak: () => {
      peak = current;
    },
  };
}

/** The wasm heap's size in bytes. */
export function wasmHeapBytes(): number {
  return (tf.backend() as unknown as WasmInternals).wasm.HEAPU8.buffer.byteLength;
}

/** This process's peak resident memory so far, in bytes. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export const MiB = 2 ** 20;
