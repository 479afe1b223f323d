import { createRegistry, Registry } from '@clusterflow/core';
import { register as registerBackbones } from '@clusterflow/backbones';
import { register as registerData } from '@clusterflow/data';
import { register as registerEval } from '@clusterflow/eval';
import { register as registerObjectives } from '@clusterflow/objectives';

/** The built-in packages, each registered under origin `builtin:<package name>`. */
const BUILTINS = [
  ['@clusterflow/eval', registerEval],
  ['@clusterflow/data', registerData],
  ['@clusterflow/backbones', registerBackbones],
  ['@clusterflow/objectives', registerObjectives],
] as const;

/**
 * A fresh registry holding every built-in component. Fresh per run, so that a
 * plugin loaded by one run of a bench cannot leak into (or clash with) the next.
 */
export function defaultRegistry(): Registry {
  const registry = createRegistry();
  for (const [name, register] of BUILTINS) register(registry.registrar(`builtin:${name}`));
  return registry;
}
