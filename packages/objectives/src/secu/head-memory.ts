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

export function createHeadMemory(k: number, numSamples: number, withDuals: boolean): HeadMemory {
  return {
    k,
    labels: new Int32Array(numSamples).fill(1),
    counts: new Int32Array(k),
    duals: withDuals ? new Float32Array(k) : undefined,
  };
}
