import { platform } from '#platform';
import { z } from 'zod';
import { copyCheckpoint } from '../checkpoint.js';
import { dueAtEpochEnd, HOOK_PRIORITY, type HookContext, type HookFactory } from '../hook.js';

const options = z
  .object({
    /** Folder of the checkpoints; none are written without one. */
    dir: z.string().optional(),
    /** Every this many epochs (0: only at the end of the run). */
    every: z.number().int().min(0).default(0),
    /** Write one after the last epoch of a completed run (a bench turns this off when its config asks for no checkpoints). */
    atEnd: z.boolean().default(true),
  })
  .strict();

/**
 * Checkpoints as a hook (the config's `train.checkpointDir` / `checkpointEvery`):
 * `epoch-NNNN.ckpt` every `every` epochs and after the last, each copied to
 * `last.ckpt` (in a multi-stage run, `<stage>-epoch-NNNN.ckpt` at the end of every
 * stage); at the end of a run stopped early or interrupted, the state at that
 * point goes to `last.ckpt` (also with `atEnd: false`), from which `train.resume` continues exactly (inside
 * the epoch, for an interrupted run). Files are written atomically.
 */
export const checkpointHook: HookFactory<z.output<typeof options>> = {
  id: 'checkpoint',
  description: 'writes epoch-NNNN.ckpt every `every` epochs and at the end, and last.ckpt; last.ckpt also when stopped or interrupted',
  options,
  create(o, { baseDir }) {
    if (!o.dir) return { id: 'checkpoint', priority: HOOK_PRIORITY.checkpoint };
    const dir = platform.resolvePath(baseDir, o.dir);
    let savedAtStep = -1;
    const save = async (ctx: HookContext, file: string) => {
      // The store makes the folder (files) or needs none (IndexedDB keys).
      const path = await ctx.saveCheckpoint(platform.joinPath(dir, file));
      // The bytes are already on disk: copy them rather than read every tensor back again.
      if (file !== 'last.ckpt') await copyCheckpoint(path, platform.joinPath(dir, 'last.ckpt'));
      savedAtStep = ctx.step;
      ctx.emit({ type: 'checkpoint', path, epoch: ctx.stepInEpoch === ctx.stepsPerEpoch ? ctx.runEpoch + 1 : ctx.runEpoch, step: ctx.step });
    };
    return {
      id: 'checkpoint',
      priority: HOOK_PRIORITY.checkpoint,
      async onEpochEnd(ctx) {
        if (dueAtEpochEnd(ctx, o.every, o.atEnd)) {
          // A multi-stage run numbers epochs within each stage: its files carry the stage's name.
          const stage = ctx.stage.count > 1 ? `${ctx.stage.name}-` : '';
          await save(ctx, `${stage}epoch-${String(ctx.epoch + 1).padStart(4, '0')}.ckpt`);
        }
      },
      async onRunEnd(ctx) {
        if (ctx.end?.kind !== 'completed' && savedAtStep !== ctx.step) await save(ctx, 'last.ckpt');
      },
    };
  },
};
