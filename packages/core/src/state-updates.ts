import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from './backend/tfjs.js';

/**
 * Assignments to non-trainable variables made during a forward pass (BatchNorm's
 * running statistics), held back until the loop knows the step is finite. Outside
 * a training step `assignState` assigns at once, so modules behave the same when
 * called directly.
 *
 * Within a step, a variable updated twice (BatchNorm applied to two views) sees its
 * first pending value the second time, exactly as two sequential assignments would:
 * modules read state through `stateValue`.
 */
export class StateUpdates {
  private readonly pending = new Map<tfc.Variable, tfc.Tensor>();
  /** Superseded values; disposed with the rest, since a recorded op may still refer to them. */
  private readonly superseded: tfc.Tensor[] = [];

  set(v: tfc.Variable, value: tfc.Tensor): void {
    const previous = this.pending.get(v);
    if (previous) this.superseded.push(previous);
    this.pending.set(v, tf.keep(value));
  }

  get(v: tfc.Variable): tfc.Tensor | undefined {
    return this.pending.get(v);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Assigns every pending value to its variable, then frees them. */
  commit(): void {
    for (const [v, value] of this.pending) v.assign(value);
    this.discard();
  }

  /** Frees every pending value without assigning it (a failed step). */
  discard(): void {
    tf.dispose([...this.pending.values(), ...this.superseded]);
    this.pending.clear();
    this.superseded.length = 0;
  }
}

let active: StateUpdates | undefined;

/** Runs `fn` with every `assignState` inside it collected into `updates` instead of assigned. */
export function deferStateUpdates<T>(updates: StateUpdates, fn: () => T): T {
  const outer = active;
  active = updates;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/** Sets a non-trainable variable; inside a training step the assignment waits for the loop's commit. */
export function assignState(v: tfc.Variable, value: tfc.Tensor): void {
  if (active) active.set(v, value);
  else v.assign(value);
}

/** The value a non-trainable variable has at this point of the step (its pending update, if any). */
export function stateValue(v: tfc.Variable): tfc.Tensor {
  return active?.get(v) ?? v;
}
