import type { Registrar } from '@clusterflow/core';
import { concurlObjectives } from './concurl/index.js';
import { contrastiveObjectives } from './contrastive/index.js';
import { scanObjectives } from './scan/index.js';
import { secuObjectives } from './secu/index.js';
import { selfLabelObjectives } from './self-label/index.js';

/** Registers the built-in objectives: simclr, cc, secu, concurl, scan, self-label. */
export function register(r: Registrar): void {
  for (const f of [...contrastiveObjectives, ...secuObjectives, ...concurlObjectives, ...scanObjectives, ...selfLabelObjectives]) r.objective(f);
}
