import { z } from 'zod';
import { tf } from '../backend/tfjs.js';
import type { GroupStep, Optimizer, OptimizerFactory } from './optimizer.js';
import { Slots } from './slots.js';
import { fusedSgdStep } from '../kernels/fused-optim.js';
import type { TensorMap } from '../tensors.js';

export const sgdOptions = z
  .object({
    lr: z.number().positive().default(0.05),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(5e-4),
    nesterov: z.boolean().default(false),
  })
  .strict();
export type SgdOptions = z.infer<typeof sgdOptions>;

/**
 * PyTorch's SGD: g' = g + wd·p; buf = m·buf + g'; p -= lr·buf (or lr·(g' + m·buf)
 * with Nesterov). The decay is coupled, and applies to every parameter it is given.
 */
export class Sgd implements Optimizer {
  readonly id = 'sgd';
  private readonly slots = new Slots();

  constructor(readonly options: SgdOptions) {}

  get lr(): number {
    return this.options.lr;
  }

  get weightDecay(): number {
    return this.options.weightDecay;
  }

  step(groups: GroupStep[]): void {
    const { momentum, nesterov } = this.options;
    tf.tidy(() => {
      for (const { variables, grads, lr, weightDecay } of groups) {
        variables.forEach((p, i) => {
          // One kernel where the backend has it (wasm with the native addon); these ops elsewhere.
          if (fusedSgdStep(p, grads[i], momentum ? this.slots.get(p, 'momentum') : undefined, { lr, momentum, weightDecay, nesterov })) return;
          let g = grads[i];
          if (weightDecay) g = tf.add(g, tf.mul(p, weightDecay));
          if (momentum) {
            const buf = this.slots.get(p, 'momentum');
            buf.assign(tf.add(tf.mul(buf, momentum), g));
            g = nesterov ? tf.add(g, tf.mul(buf, momentum)) : buf;
          }
          if (lr) p.assign(tf.sub(p, tf.mul(g, lr)));
        });
      }
    });
  }

  getState(params: Parameters<Optimizer['getState']>[0]) {
    return this.slots.export(params);
  }

  setState(params: Parameters<Optimizer['setState']>[0], state: Parameters<Optimizer['setState']>[1]) {
    this.slots.import(params, state as TensorMap);
  }

  dispose(): void {
    this.slots.dispose();
  }
}

export const sgdFactory: OptimizerFactory<SgdOptions> = {
  id: 'sgd',
  description: "PyTorch's SGD with momentum (optionally Nesterov) and coupled weight decay",
  options: sgdOptions,
  create: (o) => new Sgd(o),
};
