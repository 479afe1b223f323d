import type { ObjectiveFactory } from '@clusterflow/core';
import { SecuObjective } from './objective.js';
import { resolveSecuConfig, secuOptions, type SecuOptions } from './options.js';

export const secuFactory: ObjectiveFactory<SecuOptions> = {
  id: 'secu',
  description:
    'SeCu (Qian, ICCV 2023): stable cluster discrimination with several center heads, ' +
    'per-instance label memory and a size (duals) or entropy constraint on the assignment',
  options: secuOptions,
  create: (options, ctx) => new SecuObjective(resolveSecuConfig(options, ctx), ctx),
};
