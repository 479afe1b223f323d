import { z } from 'zod';
import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '../backend/tfjs.js';
import type { TensorMap } from '../tensors.js';
import type { GroupStep, Optimizer } from './optimizer.js';
import { Slots } from './slots.js';

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

  getState(params: readonly tfc.Variable[]): TensorMap {
    return this.slots.export(params, { t: tf.scalar(this.t) });
  }

  setState(params: readonly tfc.Variable[], state: TensorMap): void {
    if (state.t) this.t = state.t.dataSync()[0];
    this.slots.import(params, state);
  }

  dispose(): void {
    this.slots.dispose();
  }
}
