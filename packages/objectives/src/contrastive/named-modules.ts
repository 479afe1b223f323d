import type { Module } from '@clusterflow/backbones';
import { ShapeError, type ObjectiveState, type TensorMap } from '@clusterflow/core';

/**
 * An objective's heads by name ('instanceHead', 'clusterHead'). Their state is
 * exposed with the name as a prefix ('instanceHead.0.weight'), as a PyTorch
 * state_dict nests submodules, so a checkpoint says which head a tensor is from.
 */
export type NamedModules = Record<string, Module>;

/** The heads' live variables under prefixed names (no copies: read, do not dispose). */
export function namedState(modules: NamedModules): ObjectiveState {
  const out: ObjectiveState = {};
  for (const [name, module] of Object.entries(modules)) {
    for (const [key, value] of Object.entries(module.getState())) out[`${name}.${key}`] = value;
  }
  return out;
}

/**
 * Assigns a prefixed state to the heads. Every key must belong to a head and be a
 * tensor; each head then checks its own keys and shapes, so a checkpoint of
 * another configuration fails with the offending key named instead of half-loading.
 */
export function setNamedState(modules: NamedModules, state: ObjectiveState, owner: string): void {
  const current = namedState(modules);
  const unexpected = Object.keys(state).filter((k) => !(k in current));
  const missing = Object.keys(current).filter((k) => !(k in state));
  if (unexpected.length || missing.length) {
    throw new ShapeError(
      `${owner} state keys do not match:` +
        (missing.length ? ` missing ${missing.map((k) => `'${k}'`).join(', ')}` : '') +
        (unexpected.length ? ` unexpected ${unexpected.map((k) => `'${k}'`).join(', ')}` : ''),
    );
  }
  // Everything is checked before anything is assigned: a bad checkpoint leaves the heads as they were.
  const byModule: Record<string, TensorMap> = {};
  for (const [key, value] of Object.entries(state)) {
    if (value instanceof Int32Array || value instanceof Float32Array) {
      throw new ShapeError(`${owner} state '${key}' must be a tensor, got a ${value.constructor.name}`);
    }
    const want = current[key] as { shape: number[]; dtype: string };
    if (value.shape.length !== want.shape.length || value.shape.some((d, i) => d !== want.shape[i])) {
      throw new ShapeError(`${owner} state '${key}' has shape [${value.shape}], expected [${want.shape}]`);
    }
    if (value.dtype !== want.dtype) {
      throw new ShapeError(`${owner} state '${key}' has dtype ${value.dtype}, expected ${want.dtype}`);
    }
    const dot = key.indexOf('.');
    (byModule[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
  }
  for (const [name, module] of Object.entries(modules)) module.setState(byModule[name] ?? {});
}

/**
 * The checkpoint and teardown part of an objective whose only state is its named
 * heads (cc, simclr): the state under prefixed names, and every head disposed.
 */
export abstract class NamedHeadsObjective {
  abstract readonly id: string;
  protected abstract readonly heads: NamedModules;

  getState(): ObjectiveState {
    return namedState(this.heads);
  }

  setState(state: ObjectiveState): void {
    setNamedState(this.heads, state, this.id);
  }

  dispose(): void {
    for (const head of Object.values(this.heads)) head.dispose();
  }
}
