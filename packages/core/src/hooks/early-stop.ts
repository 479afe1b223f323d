import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { HOOK_PRIORITY, type HookContext, type HookFactory } from '../hook.js';
import { LOGGER } from '../services.js';

const options = z
  .object({
    /** A metric of the evaluation ('acc', 'nmi', 'knn/top1'...) or an epoch's mean loss part ('loss/total'). */
    monitor: z.string().min(1).default('loss/total'),
    /** 'max' for metrics, 'min' for losses (default: by the monitor's name). */
    mode: z.enum(['min', 'max']).optional(),
    /** Observations without improvement before the run stops. Epochs without the value (not evaluated) do not count. */
    patience: z.number().int().positive().default(5),
    /** The smallest change that counts as an improvement. */
    minDelta: z.number().min(0).default(0),
  })
  .strict();

interface EarlyStopState {
  best: number | null;
  bestEpoch: number;
  bad: number;
}

/**
 * Stops the run when the monitored value has not improved for `patience`
 * observations (Lightning's EarlyStopping). The final model is the last one, not
 * the best: a run's reported numbers are always the final epoch's. Its counters go
 * into checkpoints, so a resumed run counts on.
 */
export const earlyStopHook: HookFactory<z.output<typeof options>> = {
  id: 'early-stop',
  description: "stops when a metric or an epoch's mean loss part stops improving for `patience` observations",
  options,
  create(o, { services, config }) {
    const loss = o.monitor.startsWith('loss/');
    if (!loss && !config.eval.metrics.some((m) => o.monitor === m || o.monitor.endsWith(`/${m}`))) {
      throw new ConfigError(
        `hook 'early-stop' monitors '${o.monitor}', which is neither a loss part ('loss/<part>') nor one of the run's metrics (${config.eval.metrics.join(', ')})`,
      );
    }
    const mode = o.mode ?? (loss ? 'min' : 'max');
    let state: EarlyStopState = { best: null, bestEpoch: -1, bad: 0 };
    const read = (ctx: HookContext): number | undefined => (loss ? ctx.epochLoss[o.monitor.slice('loss/'.length)] : ctx.metrics[o.monitor]);
    return {
      id: 'early-stop',
      priority: HOOK_PRIORITY.earlyStop,
      onEpochEnd(ctx) {
        const value = read(ctx);
        if (value === undefined || !Number.isFinite(value)) return;
        const improved = state.best === null || (mode === 'max' ? value > state.best + o.minDelta : value < state.best - o.minDelta);
        if (improved) {
          state = { best: value, bestEpoch: ctx.epoch, bad: 0 };
          return;
        }
        state.bad += 1;
        if (state.bad >= o.patience) {
          const reason = `${o.monitor} did not improve for ${o.patience} observations (best ${state.best!.toFixed(4)} at epoch ${state.bestEpoch + 1})`;
          services.resolve(LOGGER).info(`early stop after epoch ${ctx.epoch + 1}: ${reason}`);
          ctx.requestStop(reason, 'early-stop');
        }
      },
      getState: () => ({ ...state }),
      setState(s) {
        const v = s as Partial<EarlyStopState>;
        state = { best: typeof v.best === 'number' ? v.best : null, bestEpoch: v.bestEpoch ?? -1, bad: v.bad ?? 0 };
      },
    };
  },
};
