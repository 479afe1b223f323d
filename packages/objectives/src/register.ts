import type { Registrar } from '@clusterflow/core';
import { concurlObjectives } from './concurl/index.js';
import { contrastiveObjectives } from './contrastive/index.js';
import { secuObjectives } from './secu/index.js';

/** Registers the built-in objectives: simclr, cc, secu, concurl. */
export function register(r: Registrar): void {
  for (const f of [...contrastiveObjectives, ...secuObjectives, ...concurlObjectives]) r.objective(f);
}
