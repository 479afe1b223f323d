import { EMBED, KNN, type Rng, type Services } from '@clusterflow/core';

/**
 * The k nearest neighbours [N, k] (row-major) of every sample of the run's
 * dataset by cosine similarity of its features now (EMBED: the backbone in
 * inference mode, un-augmented), from the KNN service, which works through the
 * similarity matrix in blocks of rows. SCAN mines once, from its pretext model
 * (simclr.py: fill_memory_bank, then utils/memory.py mine_nearest_neighbors on
 * the normalised projection-head outputs); a stage here carries the backbone,
 * so its features are mined.
 */
export async function mineNeighbours(services: Services, k: number, signal?: AbortSignal): Promise<Int32Array> {
  const features = await services.resolve(EMBED)({ signal });
  try {
    const { indices } = await services.resolve(KNN)(features, { k, signal });
    return indices;
  } finally {
    features.dispose();
  }
}

/**
 * One companion per batch row: uniformly one of the sample itself and its k
 * neighbours. SCAN mines k + 1 with the sample itself included (memory.py:
 * "Sample itself is included") and draws from all of them
 * (data/custom_dataset.py, NeighborsDataset: np.random.choice(indices[index])).
 * Draws B integers from rng.
 */
export function drawCompanions(neighbours: Int32Array, k: number, indices: Int32Array, rng: Rng): Int32Array {
  return Int32Array.from(indices, (i) => {
    const j = rng.int(k + 1);
    return j === 0 ? i : neighbours[i * k + j - 1];
  });
}
