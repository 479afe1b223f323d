import { z } from 'zod';
import { countParameters } from '../loop/build.js';
import { HOOK_PRIORITY, type HookContext, type HookFactory } from '../hook.js';
import { LOGGER } from '../services.js';

const options = z
  .object({
    /** A line every this many steps (and one per epoch). */
    logEvery: z.number().int().positive().default(20),
  })
  .strict();

const fmt = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** Metrics of the main read-out as `acc=0.6123 nmi=...` (the other read-outs' are left to the results). */
export function metricText(m: Record<string, number>): string {
  return Object.entries(m)
    .filter(([k]) => !k.includes('/'))
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(' ');
}

/** 'scan: ' in a multi-stage run, nothing in a one-stage one. */
function stageOf(ctx: HookContext): string {
  return ctx.stage.count > 1 ? `${ctx.stage.name}: ` : '';
}

/**
 * Progress as plain lines through the run's logger: what was chosen at the start,
 * a line every `logEvery` steps with loss, throughput and ETA, and one per epoch.
 * Readable in CI logs and files; the CLI shows a bar instead on a terminal.
 */
export const progressHook: HookFactory<z.output<typeof options>> = {
  id: 'progress',
  description: 'logs the backend, then a line every `logEvery` steps (loss, images/s, ETA) and one per epoch',
  options,
  create(o, { services }) {
    const log = (m: string) => services.resolve(LOGGER).info(m);
    let started = 0;
    let epochStarted = 0;
    let firstStep = 0;
    let images = 0;
    return {
      id: 'progress',
      priority: HOOK_PRIORITY.progress,
      onRunStart(ctx) {
        started = performance.now();
        firstStep = ctx.step;
        const params = countParameters([...ctx.run.backbone.variables(), ...ctx.run.objective.variables()]);
        log(`${ctx.backend.summary}; ${ctx.run.dataset.size} samples, ${ctx.run.numClusters} clusters, ${params} parameters`);
      },
      onEpochStart() {
        epochStarted = performance.now();
      },
      onStepEnd(ctx) {
        images += ctx.config.train.batchSize;
        // Steps of the stage in progress (the whole run for a one-stage run).
        const total = ctx.epochs * ctx.stepsPerEpoch;
        const done = ctx.epoch * ctx.stepsPerEpoch + ctx.stepInEpoch;
        if (ctx.step % o.logEvery !== 0 && done !== total) return;
        const elapsed = (performance.now() - started) / 1000;
        const eta = (elapsed / (ctx.step - firstStep)) * (total - done);
        log(
          `${stageOf(ctx)}epoch ${ctx.epoch + 1}/${ctx.epochs} step ${done}/${total} loss ${fmt(ctx.loss.total)} ` +
            `${(images / elapsed).toFixed(0)} img/s ETA ${eta.toFixed(0)} s`,
        );
      },
      onEpochEnd(ctx) {
        const metrics = metricText(ctx.metrics);
        const seconds = ((performance.now() - (epochStarted || started)) / 1000).toFixed(1);
        log(`${stageOf(ctx)}epoch ${ctx.epoch + 1}/${ctx.epochs} done in ${seconds} s, loss ${fmt(ctx.epochLoss.total)}${metrics ? `, ${metrics}` : ''}`);
      },
    };
  },
};
