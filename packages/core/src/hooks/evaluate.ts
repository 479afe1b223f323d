import { evalSection } from '../config/schema.js';
import { dueAtEpochEnd, HOOK_PRIORITY, type HookContext, type HookFactory } from '../hook.js';
import { evaluateModel, type EvalOptions } from '../loop/evaluate-model.js';
import { REGISTRY } from '../registry.js';

async function recordEvaluation(ctx: HookContext, options: EvalOptions): Promise<void> {
  const evaluation = await evaluateModel(options, ctx.run, ctx.services.resolve(REGISTRY), ctx.signal);
  ctx.evaluation = { ...evaluation, epoch: ctx.epoch, step: ctx.step };
  ctx.metrics = { ...ctx.metrics, ...evaluation.metrics };
  // The objective's own counts (per head) stay beside the read-outs' sizes.
  ctx.clusterSizes = { ...evaluation.clusterSizes, ...ctx.clusterSizes };
}

/**
 * Evaluation as a hook (the config's `eval:` section): read-outs and metrics every
 * `every` epochs and after the last one, and once more at the end of a run stopped
 * early, so a summary always holds the final model's numbers. An interrupted run
 * is not evaluated: it is saved to resume.
 */
export const evaluateHook: HookFactory<EvalOptions & { every: number }> = {
  id: 'evaluate',
  description: 'read-outs and metrics every `every` epochs and at the end (options: the eval section)',
  options: evalSection,
  create: (o) => ({
    id: 'evaluate',
    priority: HOOK_PRIORITY.evaluate,
    async onEpochEnd(ctx) {
      if (dueAtEpochEnd(ctx, o.every)) await recordEvaluation(ctx, o);
    },
    async onRunEnd(ctx) {
      if (ctx.end?.kind === 'interrupted' || ctx.evaluation?.step === ctx.step) return;
      await recordEvaluation(ctx, o);
    },
  }),
};
