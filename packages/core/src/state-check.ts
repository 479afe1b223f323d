import type { ObjectiveState, StateValue } from './objective.js';
import { ShapeError } from './errors.js';

/**
 * Checks a state about to be restored against the current one: the same keys, and
 * for each key the same kind (tensor, Int32Array, Float32Array), dtype and shape.
 * Objectives call it before assigning anything, so a bad checkpoint changes nothing.
 */
export function checkState(owner: string, current: ObjectiveState, incoming: ObjectiveState): void {
  const missing = Object.keys(current).filter((k) => !(k in incoming));
  const unexpected = Object.keys(incoming).filter((k) => !(k in current));
  if (missing.length || unexpected.length) {
    throw new ShapeError(`${owner} state keys do not match: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
  }
  for (const [key, want] of Object.entries(current)) {
    const got = incoming[key];
    if (!sameLayout(want, got)) throw new ShapeError(`${owner} state '${key}' is ${describe(got)}, expected ${describe(want)}`);
  }
}

function sameLayout(want: StateValue, got: StateValue): boolean {
  if (ArrayBuffer.isView(want)) return got instanceof want.constructor && (got as Int32Array).length === want.length;
  return !ArrayBuffer.isView(got) && got.dtype === want.dtype && got.shape.length === want.shape.length && got.shape.every((d, i) => d === want.shape[i]);
}

function describe(v: StateValue): string {
  if (v instanceof Int32Array) return `Int32Array(${v.length})`;
  if (v instanceof Float32Array) return `Float32Array(${v.length})`;
  return `tensor [${v.shape}] ${v.dtype}`;
}
