import { tf, type Hook } from '@clusterflow/core';
import type { StepRecord } from './page-state.js';

/**
 * Records tf.memory() after every step, once the step and the hooks before this
 * one are done with their tensors: a count that grows from one step to the next
 * is a leak. Runs last (after the checkpoint hook).
 */
export function memoryProbe(steps: () => StepRecord[]): Hook {
  return {
    id: 'page-memory-probe',
    priority: 100,
    onStepEnd(ctx) {
      const record = steps().at(-1);
      if (record?.step !== ctx.step - 1) return; // not logged (logEvery > 1)
      const { numTensors, numBytes } = tf.memory();
      record.memory = { numTensors, numBytes };
    },
  };
}
