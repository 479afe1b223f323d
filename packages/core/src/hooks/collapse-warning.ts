import { z } from 'zod';
import { HOOK_PRIORITY, type HookFactory } from '../hook.js';
import { collapseWarning } from '../loop/collapse.js';
import { LOGGER } from '../services.js';

const options = z
  .object({
    /** Warn when one cluster holds more than this many times its uniform share. */
    maxShareRatio: z.number().positive().default(3),
  })
  .strict();

/** A warning event (and a logged line) for every read-out or head whose cluster sizes look collapsed. */
export const collapseWarningHook: HookFactory<z.output<typeof options>> = {
  id: 'collapse-warning',
  description: 'warns at each epoch end about empty clusters or one cluster holding far more than its share',
  options,
  create: (o, { services }) => ({
    id: 'collapse-warning',
    priority: HOOK_PRIORITY.collapseWarning,
    onEpochEnd(ctx) {
      for (const [name, sizes] of Object.entries(ctx.clusterSizes)) {
        const w = collapseWarning(sizes, o.maxShareRatio);
        if (!w) continue;
        const message = `${name}: ${w}`;
        ctx.emit({ type: 'warning', epoch: ctx.runEpoch, message });
        services.resolve(LOGGER).warn(`warning (epoch ${ctx.runEpoch + 1}): ${message}`);
      }
    },
  }),
};
