import { z } from 'zod';
import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '../backend/tfjs.js';
import { CheckpointError } from '../errors.js';
import type { ObjectiveState } from '../objective.js';
import type { TensorMap } from '../tensors.js';
import type { GroupStep, Optimizer, OptimizerFactory } from './optimizer.js';
import { Slots } from './slots.js';
import { fusedAdamStep } from '../kernels/fused-optim.js';

export const adamOptions = z
  .object({
    lr: z.number().positive().default(3e-4),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    eps: z.number().positive().default(1e-8),
    weightDecay: z.number().min(0).default(0),
  })
  .strict();
export type AdamOptions = z.infer<typeof adamOptions>;

/**
 * PyTorch's Adam (`decoupled: false`, decay added to the gradient) and AdamW
 * (`decoupled: true`, p *= 1 - lr·wd before the moment update), with bias correction.
 */
export class Adam implements Optimizer {
  readonly id: string;
  private readonly slots = new Slots();
  private t = 0;

  constructor(
    readonly options: AdamOptions,
    readonly decoupled: boolean,
  ) {
    this.id = decoupled ? 'adamw' : 'adam';
  }

  step(groups: GroupStep[]): void {
    const { beta1, beta2, eps } = this.options;
    this.t += 1;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      for (const { variables, grads, lr, weightDecay } of groups) {
        variables.forEach((p, i) => {
          // One kernel where the backend has it (wasm with the native addon); these ops elsewhere.
          const moments = { lr, beta1, beta2, eps, weightDecay, decoupled: this.decoupled, c1, c2 };
          if (fusedAdamStep(p, grads[i], this.slots.get(p, 'm'), this.slots.get(p, 'v'), moments)) return;
          let g = grads[i];
          if (weightDecay && this.decoupled) p.assign(tf.mul(p, 1 - lr * weightDecay));
          else if (weightDecay) g = tf.add(g, tf.mul(p, weightDecay));
          const m = this.slots.get(p, 'm');
          const v = this.slots.get(p, 'v');
          m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
          v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
          const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(c2)), eps);
          if (lr) p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / c1)));
        });
      }
    });
  }

  get lr(): number {
    return this.options.lr;
  }

  get weightDecay(): number {
    return this.options.weightDecay;
  }

  getState(params: readonly tfc.Variable[]): ObjectiveState {
    // The step count stays on the host: restoring it needs no read from the device.
    return { ...this.slots.export(params), t: Int32Array.of(this.t) };
  }

  setState(params: readonly tfc.Variable[], state: ObjectiveState): void {
    const { t, ...slots } = state;
    if (t !== undefined) {
      if (!(t instanceof Int32Array) || t.length !== 1) throw new CheckpointError(`adam state 't' must be one int32 on the host, got ${describeValue(t)}`);
      this.t = t[0];
    }
    this.slots.import(params, slots as TensorMap);
  }

  dispose(): void {
    this.slots.dispose();
  }
}

function describeValue(v: unknown): string {
  return ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as Int32Array).length})` : 'a tensor';
}

export const adamFactory: OptimizerFactory<AdamOptions> = {
  id: 'adam',
  description: "PyTorch's Adam: L2 decay added to the gradient, bias-corrected moments",
  options: adamOptions,
  create: (o) => new Adam(o, false),
};

export const adamwFactory: OptimizerFactory<AdamOptions> = {
  id: 'adamw',
  description: "PyTorch's AdamW: decoupled weight decay (p *= 1 - lr * wd) before the moment update",
  options: adamOptions,
  create: (o) => new Adam(o, true),
};
