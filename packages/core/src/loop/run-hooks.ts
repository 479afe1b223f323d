import type { RunConfig } from '../config/schema.js';
import type { ComponentRef } from '../factory.js';
import { HOOK_PRIORITY, type Hook, type HookContext } from '../hook.js';
import type { Registry } from '../registry.js';
import type { Services } from '../services.js';

/** A hook given in code: an instance, or `{ id, options }` looked up in the registry. */
export type HookSpec = Hook | ComponentRef;

/**
 * The hooks a run uses, in priority order: the defaults (evaluate, collapse-warning
 * and checkpoint, configured by `eval:` and `train:`), the config's `hooks:`, and
 * those given in code; a later one with the same id replaces an earlier one (a
 * config's `{ id: checkpoint, options }` replaces the default checkpoint hook).
 */
export function buildHooks(cfg: RunConfig, registry: Registry, extra: readonly HookSpec[], services: Services, baseDir: string): Hook[] {
  const specs = new Map<string, HookSpec>([
    ['evaluate', { id: 'evaluate', options: cfg.eval }],
    ['collapse-warning', { id: 'collapse-warning', options: {} }],
    ['checkpoint', { id: 'checkpoint', options: { dir: cfg.train.checkpointDir, every: cfg.train.checkpointEvery } }],
  ]);
  for (const spec of [...cfg.hooks, ...extra]) {
    specs.delete(spec.id); // a later spec replaces an earlier one with the same id
    specs.set(spec.id, spec);
  }
  const hooks = [...specs.values()].map((spec) => (isHook(spec) ? spec : registry.build('hook', spec, { config: cfg, services, baseDir })));
  for (const [i, h] of hooks.entries()) {
    const id = [...specs.keys()][i];
    if (h.id !== id) throw new Error(`hook '${id}' built a hook whose id is '${h.id}': hook state in checkpoints is keyed by id`);
  }
  // Stable: equal priorities keep the order above.
  return hooks
    .map((h, i) => ({ h, i }))
    .sort((a, b) => (a.h.priority ?? HOOK_PRIORITY.default) - (b.h.priority ?? HOOK_PRIORITY.default) || a.i - b.i)
    .map(({ h }) => h);
}

function isHook(spec: HookSpec): spec is Hook {
  return !('options' in spec) && ['onRunStart', 'onEpochStart', 'onStepEnd', 'onEpochEnd', 'onRunEnd', 'onEvent'].some((k) => k in spec);
}

export type HookStage = 'onRunStart' | 'onEpochStart' | 'onStepEnd' | 'onEpochEnd' | 'onRunEnd';

/** Calls one stage of every hook in order, one at a time; an error names the hook. */
export async function callHooks(hooks: readonly Hook[], stage: HookStage, ctx: HookContext): Promise<void> {
  for (const h of hooks) {
    const fn = h[stage];
    if (!fn) continue;
    try {
      await fn.call(h, ctx);
    } catch (err) {
      if (err instanceof Error && err.name !== 'AbortError' && !err.message.startsWith(`hook '${h.id}'`)) {
        err.message = `hook '${h.id}' failed in ${stage}: ${err.message}`;
      }
      throw err;
    }
  }
}
