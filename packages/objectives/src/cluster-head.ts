import { linear, type Module } from '@clusterflow/backbones';
import { ConfigError, type Rng, type TensorMap } from '@clusterflow/core';

/**
 * A cluster head as SCAN's ClusteringModel has it (models/models.py): one
 * Linear(featureDim -> K) whose softmax is the assignment. Its weights go from
 * stage to stage (`Objective.clusterHead()`, `ObjectiveContext.initialHead`)
 * under Linear's state keys: 'weight' [featureDim, K] (PyTorch's transposed)
 * and 'bias' [K].
 */
export function linearClusterHead(featureDim: number, k: number, rng: Rng): Module {
  return linear(featureDim, k, rng);
}

/**
 * Copies a head handed over by an earlier stage into `head`, after checking
 * that it is a linear cluster head of the same size; the caller keeps `initial`.
 */
export function loadClusterHead(head: Module, initial: TensorMap, owner: string): void {
  const want = head.getState();
  const keys = Object.keys(initial).sort().join(', ');
  const fits =
    keys === Object.keys(want).sort().join(', ') &&
    Object.entries(want).every(([k, t]) => initial[k].shape.join() === t.shape.join() && initial[k].dtype === t.dtype);
  if (!fits) {
    const describe = (m: TensorMap) =>
      Object.entries(m)
        .map(([k, t]) => `${k} [${t.shape}]`)
        .join(', ');
    throw new ConfigError(`objective '${owner}' starts from a linear cluster head { ${describe(want)} }; the initial head given is { ${describe(initial)} }`);
  }
  head.setState(initial);
}
