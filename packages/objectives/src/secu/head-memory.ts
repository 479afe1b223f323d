import { updateDuals } from './assign-size.js';

/**
 * The non-gradient state of one cluster head, on the host (spec §2, pitfall 4):
 * it is read and written by index every step, and for ImageNet-sized N a tensor
 * round trip per step would cost more than the arithmetic.
 */
export interface HeadMemory {
  readonly k: number;
  /** Last assigned cluster of every training instance, [N]. Starts at 1 as in the official code (epoch 0 overwrites it before use). */
  readonly labels: Int32Array;
  /** Cluster sizes, [K]. Size variant: counts of this epoch (reset at every epoch start). Entropy variant: global sizes, never reset. */
  readonly counts: Int32Array;
  /** Dual variables ρ of the size variant, [K], never reset; absent for the entropy variant. */
  readonly duals?: Float32Array;
}

/** The dual ascent's settings (size variant). */
export interface DualStep {
  dualLr: number;
  lratio: number;
}

export function createHeadMemory(k: number, numSamples: number, withDuals: boolean): HeadMemory {
  return {
    k,
    labels: new Int32Array(numSamples).fill(1),
    counts: new Int32Array(k),
    duals: withDuals ? new Float32Array(k) : undefined,
  };
}

/** The stored labels of the batch's instances (y_mem of epoch ≥ 1). */
export function storedLabels(mem: HeadMemory, indices: Int32Array): Int32Array {
  return Int32Array.from(indices, (i) => mem.labels[i]);
}

/** counts[y] += 1 for every label (and counts[l] -= 1 for every `removed` label). */
export function addCounts(counts: Int32Array, labels: Int32Array, removed?: Int32Array): void {
  for (const y of labels) counts[y] += 1;
  if (removed) for (const l of removed) counts[l] -= 1;
}

/**
 * Records a batch's labels ŷ in the official order (pitfall 5): read the stored
 * labels, update the duals and counts from their pre-batch values, then write ŷ.
 * The entropy variant of epoch ≥ 1 moves each instance out of its stored cluster.
 */
export function recordLabels(mem: HeadMemory, labels: Int32Array, indices: Int32Array, epoch: number, dual: DualStep): void {
  if (labels.length !== indices.length) throw new Error(`${labels.length} labels for a batch of ${indices.length}`);
  const stored = storedLabels(mem, indices);
  if (mem.duals) {
    updateDuals(mem.duals, labels, dual.dualLr, dual.lratio);
    addCounts(mem.counts, labels);
  } else {
    addCounts(mem.counts, labels, epoch === 0 ? undefined : stored);
  }
  indices.forEach((idx, i) => (mem.labels[idx] = labels[i]));
}
