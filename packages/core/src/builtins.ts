import { BUILTIN_BACKENDS } from './backend/builtin-backends.js';
import { BUILTIN_HOOKS } from './hooks/index.js';
import { adamFactory, adamwFactory } from './optim/adam.js';
import { constantSchedule, warmupCosineSchedule } from './optim/schedules.js';
import { sgdFactory } from './optim/sgd.js';
import type { Registrar } from './registry.js';

/** Core's own components: optimizers, schedules, hooks and backends. Every `Registry` starts with them. */
export function registerBuiltins(r: Registrar): void {
  for (const f of [sgdFactory, adamFactory, adamwFactory]) r.optimizer(f);
  for (const f of [constantSchedule, warmupCosineSchedule]) r.schedule(f);
  for (const f of BUILTIN_HOOKS) r.hook(f);
  for (const f of BUILTIN_BACKENDS) r.backend(f);
}
