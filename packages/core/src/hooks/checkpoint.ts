import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { copyCheckpoint } from '../checkpoint.js';
import { HOOK_PRIORITY, type HookContext, type HookFactory } from '../hook.js';

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
 * `last.ckpt`; at the end of a run stopped early or interrupted, the state at that
 * point goes to `last.ckpt` (also with `atEnd: false`), from which `train.resume` continues exactly (inside
 * the epoch, for an interrupted run). Files are written atomically.
 */
export const checkpointHook: HookFactory<z.output<typeof options>> = {
  id: 'checkpoint',
  description: 'writes epoch-NNNN.ckpt every `every` epochs and at the end, and last.ckpt; last.ckpt also when stopped or interrupted',
  options,
  create(o, { baseDir }) {
    if (!o.dir) return { id: 'checkpoint', priority: HOOK_PRIORITY.checkpoint };
    const dir = isAbsolute(o.dir) ? o.dir : resolve(baseDir, o.dir);
    let savedAtStep = -1;
    const save = async (ctx: HookContext, file: string) => {
      await mkdir(dir, { recursive: true });
      const path = await ctx.saveCheckpoint(join(dir, file));
      // The bytes are already on disk: copy them rather than read every tensor back again.
      if (file !== 'last.ckpt') await copyCheckpoint(path, join(dir, 'last.ckpt'));
      savedAtStep = ctx.step;
      ctx.emit({ type: 'checkpoint', path, epoch: ctx.stepInEpoch === ctx.stepsPerEpoch ? ctx.epoch + 1 : ctx.epoch, step: ctx.step });
    };
    return {
      id: 'checkpoint',
      priority: HOOK_PRIORITY.checkpoint,
      async onEpochEnd(ctx) {
        const last = ctx.epoch === ctx.epochs - 1;
        if ((last && o.atEnd) || (o.every > 0 && (ctx.epoch + 1) % o.every === 0)) {
          await save(ctx, `epoch-${String(ctx.epoch + 1).padStart(4, '0')}.ckpt`);
        }
      },
      async onRunEnd(ctx) {
        if (ctx.end?.kind !== 'completed' && savedAtStep !== ctx.step) await save(ctx, 'last.ckpt');
      },
    };
  },
};
