import type * as tfc from '@tensorflow/tfjs-core';
import { CheckpointError } from '../errors.js';
import { tf } from '../backend/tfjs.js';
import type { TensorMap } from '../tensors.js';

/** Per-variable optimizer buffers, created lazily as zeros and owned here. */
export class Slots {
  private readonly slots = new Map<tfc.Variable, Map<string, tfc.Variable>>();

  get(v: tfc.Variable, name: string): tfc.Variable {
    let m = this.slots.get(v);
    if (!m) this.slots.set(v, (m = new Map()));
    let s = m.get(name);
    if (!s) m.set(name, (s = tf.tidy(() => tf.variable(tf.zerosLike(v), false))));
    return s;
  }

  export(params: readonly tfc.Variable[], extra: TensorMap = {}): TensorMap {
    const out: TensorMap = { ...extra };
    params.forEach((p, i) => {
      for (const [name, s] of this.slots.get(p) ?? []) out[`${i}/${name}`] = s;
    });
    return out;
  }

  import(params: readonly tfc.Variable[], state: TensorMap): void {
    for (const [key, value] of Object.entries(state)) {
      const m = /^(\d+)\/(.+)$/.exec(key);
      if (!m) continue;
      const p = params[Number(m[1])];
      if (!p) throw new CheckpointError(`optimizer slot '${key}' names parameter ${m[1]}, but there are ${params.length}`);
      const slot = this.get(p, m[2]);
      if (slot.shape.join() !== value.shape.join()) {
        throw new CheckpointError(`optimizer slot '${key}' has shape [${value.shape}], parameter is [${p.shape}]`);
      }
      slot.assign(value);
    }
  }

  dispose(): void {
    for (const m of this.slots.values()) for (const s of m.values()) s.dispose();
    this.slots.clear();
  }
}
